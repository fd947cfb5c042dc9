/** The hosted sign-in page of a pending authorization request. */
export const signInPageUrl = (issuer: string, requestId: string): string =>
  `${issuer}/sign-in/${encodeURIComponent(requestId)}`;

/** The consent page of a pending authorization request (a third-party client). */
export const consentPageUrl = (issuer: string, requestId: string): string =>
  `${signInPageUrl(issuer, requestId)}/consent`;
