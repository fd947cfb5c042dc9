import { GatehouseError } from '../../core/errors.js';
import { isStorageUnavailable } from '../../lib/pg-errors.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: readonly { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
  message?: string;
}

const describeValidation = (e: FastifyLikeError): string => {
  const first = e.validation?.[0];
  if (first === undefined) return 'the request is malformed';
  const where = [e.validationContext ?? 'body', ...(first.instancePath ?? '').split('/').filter(Boolean)].join('.');
  const extra = first.params?.additionalProperty ?? first.params?.missingProperty;
  return `${where}${typeof extra === 'string' ? `.${extra}` : ''}: ${first.message ?? 'is invalid'}`;
};

/**
 * Turns anything a handler or Fastify threw into a GatehouseError, so every surface renders a client's mistake in its
 * own format: schema violations, malformed bodies, oversized bodies and wrong content types are 4xx; an unreachable
 * database is 503 `storage_unavailable`; anything else is a 500 `server_error` (logged in full by the caller).
 */
export const toGatehouseError = (error: unknown): GatehouseError => {
  if (error instanceof GatehouseError) return error;
  const e = (error ?? {}) as FastifyLikeError;
  if (e.validation !== undefined) return new GatehouseError('invalid_request', describeValidation(e));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatehouseError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatehouseError('unsupported_media_type', 'unsupported content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatehouseError('invalid_request', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatehouseError('invalid_request', 'the body is not valid JSON');
    default:
  }
  if (isStorageUnavailable(error)) return new GatehouseError('storage_unavailable', undefined, { cause: error });
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new GatehouseError('payload_too_large', 'the request body is too large');
    if (e.statusCode === 415) return new GatehouseError('unsupported_media_type', 'unsupported content type');
    return new GatehouseError('invalid_request', e.message ?? 'the request is malformed');
  }
  return new GatehouseError('server_error', undefined, { cause: error });
};
