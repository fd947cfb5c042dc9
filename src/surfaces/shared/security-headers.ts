/** Headers every response carries (pages add their own CSP); `cache-control` is `no-store` unless a route says. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
