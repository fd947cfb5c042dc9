import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { EmulatedProvider, EmulatorContext, MintRequest } from './context.js';
import { userFromMint } from './context.js';
import { indexPage } from './html.js';
import { KeyRing } from './keys.js';
import { facebookEmulator } from './providers/facebook.js';
import { githubEmulator } from './providers/github.js';
import {
  appleEmulator,
  genericOidcEmulator,
  googleEmulator,
  linkedinEmulator,
  microsoftEmulator,
} from './providers/oidc.js';
import { type EmulatedApp, type EmulatorMode, EmulatorState, emulatorModes } from './state.js';
import type { ProviderKind } from './users.js';

/** Every connector kind has an emulated provider: adding a kind to the registry breaks the build here. */
export const emulatedProviders = {
  facebook: facebookEmulator,
  google: googleEmulator,
  microsoft: microsoftEmulator,
  linkedin: linkedinEmulator,
  apple: appleEmulator,
  github: githubEmulator,
  oidc: genericOidcEmulator,
} as const satisfies Record<ProviderKind, EmulatedProvider>;

export const emulatedProviderKinds = Object.keys(emulatedProviders) as ProviderKind[];

/** Options of `emulatorPlugin`. */
export interface EmulatorPluginOptions {
  /** The emulator's own public base URL, as connections reach it (e.g. `http://localhost:3000/_emulator`). */
  readonly baseUrl: string | (() => string);
  /** The apps registered from the start; more with `POST /_apps`. A token endpoint refuses any other client. */
  readonly apps?: readonly EmulatedApp[];
}

/** The body of `POST /_control`. */
export interface ControlRequest {
  /** One provider, or all when absent. */
  readonly provider?: ProviderKind;
  readonly mode?: EmulatorMode;
  /** Make a new signing key (the previous one stays published). */
  readonly rotateKeys?: boolean;
  /** How long `slow` holds each answer, in milliseconds (default 10000). */
  readonly slowMs?: number;
}

/**
 * The local IdP emulator as a Fastify plugin: every provider's endpoints under `/{kind}/…`, `POST /{kind}/_mint`,
 * `POST /_control` and a home page at `/`. State lives in this instance's memory. For development and tests only.
 */
export const emulatorPlugin: FastifyPluginAsync<EmulatorPluginOptions> = async (app, options) => {
  const { baseUrl } = options;
  const state = new EmulatorState();
  for (const registered of options.apps ?? []) state.registerApp(registered);
  const ctx: EmulatorContext = {
    state,
    keys: new KeyRing(),
    baseUrl: () => (typeof baseUrl === 'string' ? baseUrl : baseUrl()).replace(/\/+$/, ''),
  };
  // Generate every provider's key now, in the background, rather than on the first token.
  for (const kind of emulatedProviderKinds) ctx.keys.jwks(kind).catch(() => undefined);
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
  }
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    return reply
      .status(status)
      .send({ error: status < 500 ? 'invalid_request' : 'server_error', error_description: error.message });
  });

  app.get('/', async (_request, reply) => indexPage(reply, ctx.baseUrl(), emulatedProviderKinds));
  app.get('/_control', async () => controlState(ctx));
  app.post('/_control', async (request, reply) => {
    const control = parseControl(request.body);
    if (typeof control === 'string')
      return reply.status(400).send({ error: 'invalid_request', error_description: control });
    const targets = control.provider === undefined ? emulatedProviderKinds : [control.provider];
    for (const provider of targets) {
      if (control.mode !== undefined) ctx.state.setMode(provider, control.mode);
      if (control.rotateKeys === true) await ctx.keys.rotate(provider);
    }
    if (control.slowMs !== undefined) ctx.state.slowMs = control.slowMs;
    return controlState(ctx);
  });

  // Registers an app, as a developer does in the provider's console: `{provider, clientId, clientSecret}`.
  app.post('/_apps', async (request, reply) => {
    const registered = parseApp(request.body);
    if (typeof registered === 'string')
      return reply.status(400).send({ error: 'invalid_request', error_description: registered });
    ctx.state.registerApp(registered);
    return reply.status(201).send({ provider: registered.provider, clientId: registered.clientId });
  });

  for (const kind of emulatedProviderKinds) {
    const provider: EmulatedProvider = emulatedProviders[kind];
    app.post(`/${kind}/_mint`, async (request, reply) => {
      const mint = parseMint(request.body);
      if (typeof mint === 'string')
        return reply.status(400).send({ error: 'invalid_request', error_description: mint });
      return reply
        .header('cache-control', 'no-store')
        .send(await provider.mint(ctx, userFromMint(ctx, kind, mint), mint));
    });
    await app.register(
      async (scoped: FastifyInstance) => {
        scoped.addHook('onRequest', (_request, reply) => failureSwitch(ctx, kind, closing.signal, reply));
        provider.routes(scoped, ctx);
      },
      { prefix: `/${kind}` },
    );
  }
};

/** Applies the provider's failure mode before any of its routes answers. */
const failureSwitch = async (
  ctx: EmulatorContext,
  kind: ProviderKind,
  closing: AbortSignal,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> => {
  const mode = ctx.state.mode(kind);
  if (mode === 'slow') {
    const gone = new AbortController();
    // The response closes early when the client gives up (its timeout): stop holding it then.
    reply.raw.once('close', () => gone.abort());
    await sleep(ctx.state.slowMs, undefined, { signal: AbortSignal.any([closing, gone.signal]) }).catch(
      () => undefined,
    );
    if (closing.aborted || gone.signal.aborted) return reply.status(503).send({ error: 'temporarily_unavailable' });
    return undefined;
  }
  if (mode === 'down') {
    return reply.status(503).header('retry-after', '30').type('text/html').send('<h1>503 Service Unavailable</h1>');
  }
  return undefined;
};

const controlState = (ctx: EmulatorContext) => ({
  baseUrl: ctx.baseUrl(),
  slowMs: ctx.state.slowMs,
  modes: Object.fromEntries(emulatedProviderKinds.map((kind) => [kind, ctx.state.mode(kind)])),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseControl = (body: unknown): ControlRequest | string => {
  if (!isRecord(body)) return 'send a JSON object';
  const { provider, mode, rotateKeys, slowMs } = body;
  if (provider !== undefined && !(emulatedProviderKinds as unknown[]).includes(provider)) {
    return `provider must be one of ${emulatedProviderKinds.join(', ')}`;
  }
  if (mode !== undefined && !(emulatorModes as unknown[]).includes(mode))
    return `mode must be one of ${emulatorModes.join(', ')}`;
  if (rotateKeys !== undefined && typeof rotateKeys !== 'boolean') return 'rotateKeys must be a boolean';
  if (slowMs !== undefined && (typeof slowMs !== 'number' || slowMs < 0 || slowMs > 600_000))
    return 'slowMs must be 0..600000';
  return body as ControlRequest;
};

const parseApp = (body: unknown): EmulatedApp | string => {
  if (!isRecord(body)) return 'send a JSON object';
  const { provider, clientId, clientSecret } = body;
  if (!(emulatedProviderKinds as unknown[]).includes(provider))
    return `provider must be one of ${emulatedProviderKinds.join(', ')}`;
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > 500) return 'clientId is required';
  if (provider === 'apple') {
    if (clientSecret !== undefined) return 'an Apple app has no shared secret (its client secret is a signed JWT)';
    return { provider, clientId };
  }
  if (typeof clientSecret !== 'string' || clientSecret === '' || clientSecret.length > 5000)
    return 'clientSecret is required';
  return { provider: provider as ProviderKind, clientId, clientSecret };
};

const optionalStrings = ['authorizedParty', 'email', 'name', 'givenName', 'familyName', 'nonce'] as const;

const parseMint = (body: unknown): MintRequest | string => {
  if (!isRecord(body)) return 'send a JSON object';
  if (typeof body.clientId !== 'string' || body.clientId === '') return 'clientId is required';
  if (typeof body.sub !== 'string' || !/^[A-Za-z0-9._@+-]{1,128}$/.test(body.sub))
    return 'sub is required (1-128 URL-safe characters)';
  for (const name of optionalStrings) {
    if (body[name] !== undefined && typeof body[name] !== 'string') return `${name} must be a string`;
  }
  if (body.emailVerified !== undefined && typeof body.emailVerified !== 'boolean')
    return 'emailVerified must be a boolean';
  if (body.claims !== undefined && !isRecord(body.claims)) return 'claims must be an object';
  if (body.expiresIn !== undefined && (typeof body.expiresIn !== 'number' || !Number.isInteger(body.expiresIn))) {
    return 'expiresIn must be an integer number of seconds';
  }
  if (body.scopes !== undefined && !(Array.isArray(body.scopes) && body.scopes.every((s) => typeof s === 'string'))) {
    return 'scopes must be an array of strings';
  }
  return body as unknown as MintRequest;
};
