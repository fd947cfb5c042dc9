import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import { chooserPage, errorPage, formPostPage } from './html.js';
import type { KeyRing } from './keys.js';
import { type CodeGrant, codeTtlMs, type EmulatorState, type TokenGrant } from './state.js';
import type { ProviderKind, TestUser } from './users.js';

/** What every emulated provider shares: state, keys and the emulator's own public URL. */
export interface EmulatorContext {
  readonly state: EmulatorState;
  readonly keys: KeyRing;
  /** The emulator's public base URL, without a trailing slash (e.g. `http://localhost:3000/_emulator`). */
  readonly baseUrl: () => string;
}

/** The body of `POST /{provider}/_mint`. */
export interface MintRequest {
  readonly clientId: string;
  readonly sub: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly name?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly nonce?: string;
  /**
   * The `azp` of the ID token, when it differs from `clientId` (the `aud`): Google's Android and iOS sign-ins name the
   * web (server) client as `aud` and the mobile client as `azp`.
   */
  readonly authorizedParty?: string;
  /** Extra ID token claims (Microsoft `tid`, Google `hd`, …). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Token lifetime in seconds (default 3600); negative mints an already expired token. */
  readonly expiresIn?: number;
  /** Scopes the access token carries (default: the provider's sign-in scopes). */
  readonly scopes?: readonly string[];
}

/** What a native client of the provider would hold. */
export interface MintResponse {
  readonly access_token?: string;
  readonly id_token?: string;
}

/** One emulated IdP: its routes (under `/{kind}`) and how it mints tokens for native clients. */
export interface EmulatedProvider {
  readonly displayName: string;
  routes(app: FastifyInstance, ctx: EmulatorContext): void;
  mint(ctx: EmulatorContext, user: TestUser, request: MintRequest): Promise<MintResponse>;
}

export const defaultTokenTtlSeconds = 3600;
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
export const opaqueToken = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;

/** Signs ID token claims with the provider's key, honouring the `bad_signature` switch. */
export const signToken = (ctx: EmulatorContext, provider: ProviderKind, claims: JWTPayload): Promise<string> =>
  ctx.keys.sign(provider, claims, ctx.state.mode(provider) === 'bad_signature');

/** Issues an opaque access token. */
export const issueAccessToken = (
  ctx: EmulatorContext,
  grant: Omit<TokenGrant, 'issuedAt' | 'expiresAt'>,
  prefix: string,
  ttlSeconds = defaultTokenTtlSeconds,
): TokenGrant & { token: string } => {
  const token = opaqueToken(prefix);
  const issuedAt = nowSeconds();
  const full: TokenGrant = { ...grant, issuedAt, expiresAt: issuedAt + ttlSeconds };
  ctx.state.tokens.set(token, full, Math.max(ttlSeconds, 60) * 1000 + 3_600_000);
  return { ...full, token };
};

/** The user a mint request describes (and remembers it, so `test_user` finds it afterwards). */
export const userFromMint = (ctx: EmulatorContext, provider: ProviderKind, request: MintRequest): TestUser => {
  const user: TestUser = {
    sub: request.sub,
    emailVerified: request.email !== undefined && request.emailVerified === true,
    ...(request.email === undefined ? {} : { email: request.email }),
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.givenName === undefined ? {} : { givenName: request.givenName }),
    ...(request.familyName === undefined ? {} : { familyName: request.familyName }),
    ...(request.claims === undefined ? {} : { claims: request.claims }),
  };
  ctx.state.rememberUser(provider, user);
  return user;
};

/** The query string of a request, as URLSearchParams. */
export const queryOf = (request: FastifyRequest): URLSearchParams =>
  new URL(request.url, 'http://emulator').searchParams;

/** A form (or JSON) body field, whatever parser the host registered. */
export const bodyField = (request: FastifyRequest, name: string): string | undefined => {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** Client credentials from HTTP Basic (RFC 6749 §2.3.1) or the body. */
export const clientCredentials = (request: FastifyRequest): { clientId?: string; clientSecret?: string } => {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  const clientId = bodyField(request, 'client_id');
  const clientSecret = bodyField(request, 'client_secret');
  return { ...(clientId === undefined ? {} : { clientId }), ...(clientSecret === undefined ? {} : { clientSecret }) };
};

/** RFC 7636 §4.6 S256. */
export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** Redirects to `target` with `params` added to its query. */
export const redirectWith = (reply: FastifyReply, target: string, params: Readonly<Record<string, string>>) => {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return reply.redirect(url.toString(), 302);
};

/** How one provider answers a finished or declined authorization. */
export interface AuthorizeSpec {
  readonly provider: ProviderKind;
  readonly displayName: string;
  /** Facebook does not require `response_type`. */
  readonly responseTypeOptional?: boolean;
  /** Parameters of a declined sign-in, in the provider's own words. */
  readonly denial: Readonly<Record<string, string>>;
  /** Answer with an auto-submitting form (Apple) unless the script asked for `test_response_mode=query`. */
  readonly formPost?: (params: URLSearchParams) => boolean;
  /** Extra callback parameters for a sign-in (Apple's `user`). */
  readonly extraParams?: (user: TestUser, params: URLSearchParams) => Record<string, string>;
  readonly tenant?: string;
}

/**
 * The shared authorization endpoint: validates the request, then either shows the chooser page, or, with `test_user`
 * (sub, email or handle), `test_user_sub` (+ `test_user_email`, `test_user_email_verified`, `test_user_name`) or
 * `deny=1`, answers at once.
 */
export const authorize = (ctx: EmulatorContext, spec: AuthorizeSpec, request: FastifyRequest, reply: FastifyReply) => {
  const params = queryOf(request);
  const clientId = params.get('client_id');
  const redirectUri = params.get('redirect_uri');
  if (clientId === null || clientId === '') return errorPage(reply, 400, 'client_id is missing.');
  if (redirectUri === null || !/^https?:\/\//.test(redirectUri) || !URL.canParse(redirectUri)) {
    return errorPage(reply, 400, 'redirect_uri is missing or not an absolute http(s) URL.');
  }
  const responseType = params.get('response_type') ?? (spec.responseTypeOptional ? 'code' : null);
  if (responseType !== 'code') return errorPage(reply, 400, 'Only response_type=code is supported.');
  const state = params.get('state');
  const answer = (fields: Record<string, string>) => {
    const all = { ...fields, ...(state === null ? {} : { state }) };
    if (spec.formPost?.(params) === true && params.get('test_response_mode') !== 'query') {
      return formPostPage(reply, redirectUri, all);
    }
    return redirectWith(reply, redirectUri, all);
  };
  if (params.get('deny') === '1') return answer({ ...spec.denial });
  const user = chosenUser(ctx, spec.provider, params);
  if (user === 'unknown')
    return errorPage(reply, 400, `No test user "${params.get('test_user')}" at ${spec.displayName}.`);
  if (user === undefined) {
    return chooserPage(reply, {
      provider: spec.displayName,
      clientId,
      url: new URL(request.url, ctx.baseUrl()),
      users: ctx.state.users(spec.provider),
    });
  }
  const code = opaqueToken('code-');
  const challenge = params.get('code_challenge');
  const nonce = params.get('nonce');
  const grant: CodeGrant = {
    provider: spec.provider,
    clientId,
    redirectUri,
    user,
    scope: params.get('scope') ?? '',
    ...(nonce === null ? {} : { nonce }),
    ...(challenge === null ? {} : { codeChallenge: challenge }),
    ...(spec.tenant === undefined ? {} : { tenant: spec.tenant }),
  };
  ctx.state.codes.set(code, grant, codeTtlMs);
  return answer({ code, ...spec.extraParams?.(user, params) });
};

const chosenUser = (
  ctx: EmulatorContext,
  provider: ProviderKind,
  params: URLSearchParams,
): TestUser | 'unknown' | undefined => {
  const sub = params.get('test_user_sub');
  if (sub !== null && sub !== '') {
    const email = params.get('test_user_email') || undefined;
    const name = params.get('test_user_name') || undefined;
    const user: TestUser = {
      sub,
      emailVerified: email !== undefined && params.get('test_user_email_verified') === 'true',
      ...(email === undefined ? {} : { email }),
      ...(name === undefined ? {} : { name }),
    };
    ctx.state.rememberUser(provider, user);
    return user;
  }
  const key = params.get('test_user');
  if (key === null || key === '') return undefined;
  return ctx.state.findUser(provider, key) ?? 'unknown';
};

/**
 * Redeems a code for `provider`: single use, same client and redirect URI, and PKCE (RFC 7636 §4.6) when the
 * authorization request had a challenge. Returns an RFC 6749 §5.2 error name on failure.
 */
export const redeemCode = (
  ctx: EmulatorContext,
  provider: ProviderKind,
  field: (name: string) => string | undefined,
  clientId: string,
): CodeGrant | 'invalid_grant' => {
  const code = field('code');
  const grant = code === undefined ? undefined : ctx.state.codes.take(code);
  if (grant === undefined || grant.provider !== provider || grant.clientId !== clientId) return 'invalid_grant';
  if (field('redirect_uri') !== grant.redirectUri) return 'invalid_grant';
  const verifier = field('code_verifier');
  if (
    grant.codeChallenge !== undefined
      ? verifier === undefined || s256(verifier) !== grant.codeChallenge
      : verifier !== undefined
  ) {
    return 'invalid_grant';
  }
  return grant;
};
