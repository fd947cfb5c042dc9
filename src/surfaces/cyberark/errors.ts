import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, errorCatalog, type GatehouseError } from '../../core/errors.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { type Envelope, sendEnvelope } from './envelope.js';

/** The message CyberArk gives for any failed answer; nothing more precise is revealed. */
export const challengeFailedMessage =
  'Authentication (login or challenge) has failed. Please try again or contact your system administrator.';

/**
 * Every error code as the Security API's `ErrorCode` (and, where the vendor has a fixed text, the `Message`).
 * Exhaustive: a new code in the catalog fails the build here until it is mapped.
 */
const wire = {
  invalid_request: { errorCode: 'InvalidRequest' },
  invalid_client: { errorCode: 'InvalidClient' },
  invalid_grant: { errorCode: 'AuthenticationFailed', message: challengeFailedMessage },
  unauthorized_client: { errorCode: 'UnauthorizedClient' },
  unsupported_grant_type: { errorCode: 'InvalidRequest' },
  unsupported_response_type: { errorCode: 'InvalidRequest' },
  unsupported_token_type: { errorCode: 'InvalidRequest' },
  invalid_scope: { errorCode: 'InvalidRequest' },
  invalid_token: { errorCode: 'Unauthorized', message: 'Not Authorized' },
  insufficient_scope: { errorCode: 'Unauthorized', message: 'Not Authorized' },
  access_denied: { errorCode: 'AccessDenied' },
  login_required: { errorCode: 'Unauthorized', message: 'Not Authorized' },
  consent_required: { errorCode: 'AccessDenied' },
  forbidden: { errorCode: 'AccessDenied' },
  unauthorized: { errorCode: 'Unauthorized', message: 'Not Authorized' },
  not_found: { errorCode: 'NotFound' },
  conflict: { errorCode: 'Conflict' },
  email_taken: { errorCode: 'Conflict' },
  payload_too_large: { errorCode: 'InvalidRequest' },
  unsupported_media_type: { errorCode: 'InvalidRequest' },
  rate_limited: { errorCode: 'TooManyRequests' },
  idp_token_invalid: { errorCode: 'ExternalIdpAuthFailed' },
  idp_wrong_audience: { errorCode: 'ExternalIdpAuthFailed' },
  idp_email_missing: { errorCode: 'ExternalIdpAuthFailed' },
  idp_error: { errorCode: 'ExternalIdpAuthFailed' },
  identity_already_linked: { errorCode: 'Conflict' },
  last_login_method: { errorCode: 'Conflict' },
  merge_needed: { errorCode: 'MergeNeeded' },
  mfa_required: { errorCode: 'MfaRequired' },
  mfa_answer_invalid: { errorCode: 'AuthenticationFailed', message: challengeFailedMessage },
  step_up_required: { errorCode: 'Unauthorized', message: 'Not Authorized' },
  flow_invalid: { errorCode: 'SessionInvalid' },
  user_disabled: { errorCode: 'AccessDenied', message: challengeFailedMessage },
  password_reset_required: { errorCode: 'PasswordResetRequired' },
  idp_unavailable: { errorCode: 'ExternalIdpUnavailable' },
  storage_unavailable: { errorCode: 'ServiceUnavailable' },
  server_error: { errorCode: 'ServerError' },
} as const satisfies Record<ErrorCode, { errorCode: string; message?: string }>;

/** A GatehouseError as a `success: false` envelope. 5xx details stay in the log, keyed by `ErrorID`. */
export const errorEnvelope = (error: GatehouseError, requestId: string): Envelope => {
  const mapped: { errorCode: string; message?: string } = wire[error.code];
  const message = mapped.message ?? (error.expose ? error.message : errorCatalog.server_error.summary);
  return {
    success: false,
    Result: null,
    Message: message,
    MessageID: null,
    Exception: null,
    ErrorID: error.expose ? null : requestId,
    ErrorCode: mapped.errorCode,
    InnerExceptions: null,
  };
};

/** The surface's error handler: anything thrown (Fastify's own 4xx included) becomes an HTTP 200 envelope. */
export const sendSecurityError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
  const e = toGatehouseError(error);
  logError(request, e);
  return sendEnvelope(reply, errorEnvelope(e, request.id));
};
