/**
 * A real, certified OpenID provider (`oidc-provider`) on a loopback port, standing in for Google, Microsoft, Apple,
 * LinkedIn or any generic OIDC upstream in tests.
 *
 *   const op = await startUpstreamOidc();
 *   // a connection pointed at it: { kind: 'oidc', clientId: op.clients.web.client_id, clientSecret: …,
 *   //   settings: { issuer: op.issuer } }   (or `endpoints: op.endpoints()` for the providers with fixed URLs)
 *   const callback = await op.signIn(await connector.authorizationUrl(request), 'alice');  // real code flow, plain HTTP
 *   const { id_token } = await op.issueTokens({ accountId: 'alice', clientId: 'gatehouse-web', nonce: 'n' });
 *   await op.close();
 *
 * Accounts: `alice` (verified email), `bob` (unverified email), `carol` (no email).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';

export interface UpstreamAccount {
  readonly sub: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly name?: string;
  readonly givenName?: string;
  readonly familyName?: string;
}

/** The redirect URI every default client has registered (nothing listens there: `signIn` stops before it). */
export const upstreamRedirectUri = 'http://127.0.0.1:9/callback';

const defaultAccounts: Record<string, UpstreamAccount> = {
  alice: {
    sub: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Liddell',
    givenName: 'Alice',
    familyName: 'Liddell',
  },
  bob: { sub: 'bob', email: 'bob@example.com', emailVerified: false, name: 'Bob Unverified' },
  carol: { sub: 'carol', name: 'Carol Noemail' },
};

const client = (
  client_id: string,
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post',
): ClientMetadata => ({
  client_id,
  client_secret: `${client_id}-secret-${randomBytes(8).toString('hex')}`,
  redirect_uris: [upstreamRedirectUri],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method,
});

export interface UpstreamOidc {
  /** `http://127.0.0.1:{port}`: the issuer, and the base of every endpoint. */
  readonly issuer: string;
  /** Registered clients: `web` (client_secret_basic), `webPost` (client_secret_post), `other` (another app). */
  readonly clients: { readonly web: ClientMetadata; readonly webPost: ClientMetadata; readonly other: ClientMetadata };
  readonly accounts: Readonly<Record<string, UpstreamAccount>>;
  /** The endpoints by the connector names (`issuer`, `authorization`, `token`, `userinfo`, `jwks`). */
  endpoints(): Record<'issuer' | 'authorization' | 'token' | 'userinfo' | 'jwks', string>;
  /**
   * Plays the browser through a real authorization-code flow (login and consent as `accountId`) and returns the
   * callback parameters the relying party receives at its redirect URI.
   */
  signIn(authorizationUrl: URL | string, accountId: string): Promise<URLSearchParams>;
  /** Runs a full code flow for `clientId` and redeems the code: the tokens a native client of that app holds. */
  issueTokens(input: {
    accountId: string;
    clientId: string;
    nonce?: string;
  }): Promise<{ id_token: string; access_token: string }>;
  close(): Promise<void>;
}

/** Starts an `oidc-provider` on 127.0.0.1 and a free port. */
export const startUpstreamOidc = async (
  options: { accounts?: Record<string, UpstreamAccount> } = {},
): Promise<UpstreamOidc> => {
  const accounts = options.accounts ?? defaultAccounts;
  const clients = {
    web: client('gatehouse-web', 'client_secret_basic'),
    webPost: client('gatehouse-web-post', 'client_secret_post'),
    other: client('other-app', 'client_secret_basic'),
  };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    clients: Object.values(clients),
    jwks: {
      keys: [
        { ...(await exportJWK(privateKey)), kid: `op-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' },
      ],
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    // Put the scope's claims in the ID token too, as Google and Microsoft do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Grant: 3600, Session: 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, id) => {
      const account = accounts[id];
      if (account === undefined) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: account.sub,
          ...(account.email === undefined
            ? {}
            : { email: account.email, email_verified: account.emailVerified === true }),
          ...(account.name === undefined ? {} : { name: account.name }),
          ...(account.givenName === undefined ? {} : { given_name: account.givenName }),
          ...(account.familyName === undefined ? {} : { family_name: account.familyName }),
        }),
      };
    },
  };
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();

  // The interaction endpoint: signs in as `?account=` and grants the requested scopes, with no pages.
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const accountId = new URL(req.url ?? '/', issuer).searchParams.get('account') ?? '';
    const clientId = String(details.params.client_id);
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    handle(req, res);
  });

  const signIn = async (authorizationUrl: URL | string, accountId: string): Promise<URLSearchParams> => {
    const cookies = new Map<string, string>();
    let next = new URL(authorizationUrl);
    for (let hop = 0; hop < 10; hop += 1) {
      if (next.origin !== issuer) return next.searchParams;
      if (next.pathname.startsWith('/interaction/')) next.searchParams.set('account', accountId);
      const response = await fetch(next, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = response.headers.get('location');
      if (location === null)
        throw new Error(`oidc-provider answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
      next = new URL(location, next);
    }
    throw new Error('too many redirects');
  };

  return {
    issuer,
    clients,
    accounts,
    endpoints: () => ({
      issuer,
      authorization: `${issuer}/auth`,
      token: `${issuer}/token`,
      userinfo: `${issuer}/me`,
      jwks: `${issuer}/jwks`,
    }),
    signIn,
    issueTokens: async ({ accountId, clientId, nonce }) => {
      const registered = Object.values(clients).find((c) => c.client_id === clientId);
      if (registered === undefined) throw new Error(`no client ${clientId}`);
      const url = new URL(`${issuer}/auth`);
      const state = randomBytes(8).toString('hex');
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: upstreamRedirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        state,
        ...(nonce === undefined ? {} : { nonce }),
      }).toString();
      const code = (await signIn(url, accountId)).get('code');
      if (code === null) throw new Error('no code');
      const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: upstreamRedirectUri });
      const secret = String(registered.client_secret);
      const basic = registered.token_endpoint_auth_method === 'client_secret_basic';
      if (!basic) {
        body.set('client_id', clientId);
        body.set('client_secret', secret);
      }
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(basic ? { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` } : {}),
        },
        body,
      });
      const tokens = (await response.json()) as { id_token: string; access_token: string };
      if (!response.ok) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
      return tokens;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
