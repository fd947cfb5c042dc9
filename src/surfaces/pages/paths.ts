/** The hosted sign-in page of a pending authorization request. */
export const signInPageUrl = (issuer: string, requestId: string): string =>
  `${issuer}/sign-in/${encodeURIComponent(requestId)}`;
