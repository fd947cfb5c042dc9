import { canonicalCallbackUrl } from './callback-path.js';

/** The hosted sign-in page of a pending authorization request. */
export const signInPageUrl = (issuer: string, requestId: string): string =>
  `${issuer}/sign-in/${encodeURIComponent(requestId)}`;

/** The consent page of a pending authorization request (a third-party client). */
export const consentPageUrl = (issuer: string, requestId: string): string =>
  `${signInPageUrl(issuer, requestId)}/consent`;
/** Where the hosted pages' upstream sign-in lives: under the pending request's sign-in page (its cookie's path). */
export const upstreamStartUrl = (signInPage: string, connectionId: string): string =>
  `${signInPage}/upstream/${encodeURIComponent(connectionId)}`;

/** Where the browser returns once the upstream login (and any second factor) is complete. */
export const upstreamDoneUrl = (signInPage: string): string => `${signInPage}/upstream-done`;

/** The hosted second-factor page of a flow. */
export const mfaPageUrl = (signInPage: string): string => `${signInPage}/mfa`;

/** `…?login={state}`: the flow a hosted page continues (its cookie proves the browser). */
export const withLogin = (url: string, state: string): string => {
  const target = new URL(url);
  target.searchParams.set('login', state);
  return target.href;
};

/**
 * The page a sign-in email's approval link opens: `{publicUrl}/t/{tenant}/mfa/email?token={token}`. The token rides in
 * the query, which request logs leave out.
 */
export const emailApprovalUrl =
  (publicUrl: string) =>
  (tenantId: string, token: string): string =>
    `${publicUrl}/t/${encodeURIComponent(tenantId)}/mfa/email?token=${token}`;

/** The hosted pages' own callback name of a connection (the Security API passes its `IdpName` spelling instead). */
export const hostedUpstreamCallback = (publicUrl: string, tenantId: string, connectionId: string) => ({
  callbackUrl: canonicalCallbackUrl(publicUrl, tenantId, connectionId),
  callbackName: connectionId,
});

/**
 * The pages a verification mail and a recovery mail link to: `{publicUrl}/t/{tenant}/verify-email?token=…` and
 * `{publicUrl}/t/{tenant}/recovery?token=…`. The token rides in the query, which request logs leave out.
 */
export const selfServiceLinkUrls = (publicUrl: string) => ({
  verification: (tenantId: string, token: string): string =>
    `${publicUrl}/t/${encodeURIComponent(tenantId)}/verify-email?token=${token}`,
  recovery: (tenantId: string, token: string): string =>
    `${publicUrl}/t/${encodeURIComponent(tenantId)}/recovery?token=${token}`,
});

/** The hosted pages of the self-service flows of a pending authorization request, under its sign-in page. */
export const selfServicePageUrl = (
  signInPage: string,
  page: 'sign-up' | 'verify' | 'forgot' | 'reset' | 'code',
): string => `${signInPage}/${page}`;
