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
