/**
 * The IdP emulator on a real loopback port, for tests.
 *
 *   const idp = await startEmulator();
 *   await idp.registerApp({ provider: 'google', clientId: 'web', clientSecret: 's' });  // as at the provider's console
 *   const connection = { …, emulator: idp.url };            // every endpoint of the connection points at it
 *   const { id_token } = await idp.mint('google', { clientId: 'web', sub: '42', email: 'a@example.com', emailVerified: true });
 *   const callback = await idp.signIn(await connector.authorizationUrl(request), 'alice');   // redirect flow
 *   await idp.control({ provider: 'google', mode: 'down' });  // failure switches; { rotateKeys: true } rotates keys
 *   await idp.close();
 */

import type { ControlRequest, EmulatedApp, MintRequest, MintResponse, ProviderKind } from '../../src/emulator/index.js';
import { createEmulatorServer } from '../../src/emulator/index.js';

/** Where the emulator sent the browser back to, and with what. */
export interface EmulatorCallback {
  /** The redirect URI, without the parameters the emulator added. */
  readonly redirectUri: string;
  /** `GET` for a query redirect, `POST` for Apple's form_post. */
  readonly method: 'GET' | 'POST';
  readonly params: URLSearchParams;
}

export interface EmulatorHarness {
  /** Base URL: the value of a connection's `emulator` field. */
  readonly url: string;
  /** `POST /{provider}/_mint`: the tokens a native client of `provider` would hold for this user. */
  mint(provider: ProviderKind, body: MintRequest): Promise<MintResponse>;
  /**
   * `POST /_apps`: registers an app (client) at a provider, as its developer console does. A token endpoint refuses
   * any client id and secret not registered this way, as the real provider does.
   */
  registerApp(app: EmulatedApp): Promise<void>;
  /** `POST /_control`: failure switches and key rotation. Reset with `{ mode: 'normal' }`. */
  control(body: ControlRequest): Promise<void>;
  /**
   * Plays the browser at an authorization URL with `test_user` (a sub, email or handle such as `alice`), or
   * `{ deny: '1' }` in `extra` to decline, and returns the callback the app would receive.
   */
  signIn(
    authorizationUrl: URL | string,
    testUser: string,
    extra?: Readonly<Record<string, string>>,
  ): Promise<EmulatorCallback>;
  close(): Promise<void>;
}

const postJson = async (url: string, body: unknown): Promise<unknown> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await response.json();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
};

const decodeEntities = (value: string) =>
  value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** Reads the auto-submitting form of a form_post answer. */
const parseFormPost = (html: string): EmulatorCallback => {
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`not a form_post page: ${html.slice(0, 200)}`);
  const params = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    params.append(decodeEntities(match[1] ?? ''), decodeEntities(match[2] ?? ''));
  }
  return { redirectUri: decodeEntities(action), method: 'POST', params };
};

/** Starts an emulator on 127.0.0.1 and a free port. */
export const startEmulator = async (): Promise<EmulatorHarness> => {
  const server = await createEmulatorServer({ host: '127.0.0.1', port: 0 });
  return {
    url: server.url,
    mint: async (provider, body) => (await postJson(`${server.url}/${provider}/_mint`, body)) as MintResponse,
    registerApp: async (app) => {
      await postJson(`${server.url}/_apps`, app);
    },
    control: async (body) => {
      await postJson(`${server.url}/_control`, body);
    },
    signIn: async (authorizationUrl, testUser, extra = {}) => {
      const url = new URL(authorizationUrl);
      if (extra.deny === undefined) url.searchParams.set('test_user', testUser);
      for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status === 302 && location !== null) {
        const target = new URL(location);
        const params = new URLSearchParams(target.search);
        target.search = '';
        return { redirectUri: target.toString(), method: 'GET', params };
      }
      const body = await response.text();
      if (response.status === 200 && body.includes('<form method="post"')) return parseFormPost(body);
      throw new Error(`the emulator answered ${response.status}: ${body.slice(0, 300)}`);
    },
    close: () => server.close(),
  };
};
