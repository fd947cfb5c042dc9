/**
 * The path every IdP returns to, in the Security API's spelling: `/SocialAuth/{Name}AuthCallback`. The hosted pages
 * share it (one redirect URI per connection to register at the IdP, whoever started the login); the browser surface
 * serves it, at the root and under `/t/{tenant}`.
 */
export const upstreamCallbackPath = (name: string): string => `/SocialAuth/${encodeURIComponent(name)}AuthCallback`;

/** The `{Name}` of a callback path's last segment (`{Name}AuthCallback`), or undefined when it is not one. */
export const callbackNameOf = (segment: string): string | undefined => {
  const suffix = 'AuthCallback';
  return segment.endsWith(suffix) && segment.length > suffix.length ? segment.slice(0, -suffix.length) : undefined;
};
