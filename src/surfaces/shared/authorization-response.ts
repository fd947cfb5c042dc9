import type { GatehouseError } from '../../core/errors.js';
import type { AuthorizationResult } from '../../core/login/authorization-requests.js';
import { authorizationErrorName, oauthErrorBody } from './oauth-errors.js';

/** Where authorization errors may be sent: a redirect URI already matched exactly against the client's. */
export interface ValidatedRedirect {
  readonly redirectUri: string;
  readonly state?: string;
  readonly issuer: string;
}

/** RFC 6749 §4.1.2 success response in the query, with RFC 9207 `iss`. */
export const codeRedirectUrl = (result: AuthorizationResult): string => {
  const url = new URL(result.redirectUri);
  url.searchParams.set('code', result.code);
  if (result.state !== undefined) url.searchParams.set('state', result.state);
  url.searchParams.set('iss', result.issuer);
  return url.href;
};

/** RFC 6749 §4.1.2.1 error response, with RFC 9207 `iss`. Only ever built for a validated redirect URI. */
export const errorRedirectUrl = (target: ValidatedRedirect, error: GatehouseError): string => {
  const url = new URL(target.redirectUri);
  const body = oauthErrorBody(error);
  url.searchParams.set('error', authorizationErrorName(error));
  // The description is for the app's developer: what happened, in the catalogue's words when it is not exposed.
  url.searchParams.set('error_description', body.error_description);
  if (target.state !== undefined) url.searchParams.set('state', target.state);
  url.searchParams.set('iss', target.issuer);
  return url.href;
};
