/**
 * The path every IdP returns to, in the Security API's spelling: `/SocialAuth/{Name}AuthCallback`. The hosted pages
 * share it (one redirect URI per connection to register at the IdP, whoever started the login); the browser surface
 * serves it, at the root and under `/t/{tenant}`, with `{Name}` matched ignoring case.
 */
export const upstreamCallbackPath = (name: string): string => `/SocialAuth/${encodeURIComponent(name)}AuthCallback`;

/** The `{Name}` of a callback path's last segment (`{Name}AuthCallback`), or undefined when it is not one. */
export const callbackNameOf = (segment: string): string | undefined => {
  const suffix = 'AuthCallback';
  return segment.endsWith(suffix) && segment.length > suffix.length ? segment.slice(0, -suffix.length) : undefined;
};

/**
 * The canonical callback URL of a connection, the one to register at the provider:
 * `{publicUrl}/t/{tenant}/SocialAuth/{connection id}AuthCallback`. The tenant is in the path and the connection is named
 * by its id, so the URL names one connection of one tenant whatever host or product keyword a login started with. The
 * hosted pages send it as `redirect_uri`; the other forms the browser surface still serves (at the root, or with the
 * product's name) are only for what the Security API starts on a tenant's own host name or by `TenantId`.
 */
export const canonicalCallbackUrl = (publicUrl: string, tenantId: string, connectionId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/t/${encodeURIComponent(tenantId)}${upstreamCallbackPath(connectionId)}`;
