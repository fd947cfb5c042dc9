import { timingSafeEqual } from 'node:crypto';
import type { ProviderKind } from './users.js';
import { configuredUsers, type TestUser } from './users.js';

/** A failure switch: `down` answers 503, `slow` holds every answer, `bad_signature` signs tokens with a wrong key. */
export type EmulatorMode = 'normal' | 'down' | 'slow' | 'bad_signature';

export const emulatorModes: readonly EmulatorMode[] = ['normal', 'down', 'slow', 'bad_signature'];

/** A map that forgets its oldest entries past `max`, and entries past their expiry. The emulator is a dev tool: bounded. */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(readonly max: number) {}

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, ttlMs = Number.POSITIVE_INFINITY): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Returns and removes (single use). */
  take(key: K): V | undefined {
    const value = this.get(key);
    this.#entries.delete(key);
    return value;
  }

  values(): V[] {
    return [...this.#entries.keys()].flatMap((key) => {
      const value = this.get(key);
      return value === undefined ? [] : [value];
    });
  }
}

/** An authorization code waiting to be redeemed. */
export interface CodeGrant {
  readonly provider: ProviderKind;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly user: TestUser;
  readonly scope: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
  /** Microsoft: the tenant segment of the authorization URL. */
  readonly tenant?: string;
}

/** An access token the emulator issued (opaque, looked up here). */
export interface TokenGrant {
  readonly provider: ProviderKind;
  readonly clientId: string;
  readonly user: TestUser;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly tenant?: string;
}

/**
 * An app (client) registered at an emulated provider, as a developer registers it at the real one. `clientSecret` is
 * the shared secret the token endpoint checks; Apple has none (its client secret is a JWT signed with the app's key).
 */
export interface EmulatedApp {
  readonly provider: ProviderKind;
  readonly clientId: string;
  readonly clientSecret?: string;
}

/** How a presented client id and secret compare with the registered apps. */
export type AppCheck = 'ok' | 'unknown_app' | 'bad_secret';

const sameSecret = (a: string, b: string): boolean => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

const maxApps = 10_000;
const maxMintedUsers = 1000;
const maxCodes = 10_000;
const maxTokens = 10_000;
export const codeTtlMs = 10 * 60 * 1000;

/** Everything the emulator remembers, in process memory, per mounted instance. */
export class EmulatorState {
  readonly codes = new BoundedMap<string, CodeGrant>(maxCodes);
  readonly tokens = new BoundedMap<string, TokenGrant>(maxTokens);
  /** The registered apps, by provider and client id: nothing else is accepted at a token endpoint. */
  readonly #apps = new BoundedMap<string, EmulatedApp>(maxApps);
  /** (client, user) pairs Apple already sent the `user` field for: it does so on the first authorization only. */
  readonly appleSeen = new BoundedMap<string, true>(10_000);
  readonly #minted = new Map<ProviderKind, BoundedMap<string, TestUser>>();
  readonly #modes = new Map<ProviderKind, EmulatorMode>();
  slowMs = 10_000;

  /** Registers an app, or replaces the secret of one already registered (as rotating it at the provider does). */
  registerApp(app: EmulatedApp): void {
    this.#apps.set(`${app.provider}\u0000${app.clientId}`, app);
  }

  app(provider: ProviderKind, clientId: string): EmulatedApp | undefined {
    return this.#apps.get(`${provider}\u0000${clientId}`);
  }

  /** Checks a client id and secret against the registered apps (constant-time for the secret). */
  checkApp(provider: ProviderKind, clientId: string, clientSecret: string | undefined): AppCheck {
    const app = this.app(provider, clientId);
    if (app === undefined) return 'unknown_app';
    if (app.clientSecret === undefined) return 'ok';
    return clientSecret !== undefined && sameSecret(app.clientSecret, clientSecret) ? 'ok' : 'bad_secret';
  }

  mode(provider: ProviderKind): EmulatorMode {
    return this.#modes.get(provider) ?? 'normal';
  }

  setMode(provider: ProviderKind, mode: EmulatorMode): void {
    this.#modes.set(provider, mode);
  }

  /** Minted users first (newest wins), then the configured ones. */
  users(provider: ProviderKind): TestUser[] {
    const minted = this.#minted.get(provider)?.values().reverse() ?? [];
    return [...minted, ...configuredUsers(provider).filter((c) => !minted.some((m) => m.sub === c.sub))];
  }

  /** Finds a user by `sub`, email (case-insensitive) or handle. */
  findUser(provider: ProviderKind, key: string): TestUser | undefined {
    const lower = key.toLowerCase();
    return this.users(provider).find((u) => u.sub === key || u.email?.toLowerCase() === lower || u.handle === lower);
  }

  rememberUser(provider: ProviderKind, user: TestUser): void {
    let minted = this.#minted.get(provider);
    if (minted === undefined) {
      minted = new BoundedMap(maxMintedUsers);
      this.#minted.set(provider, minted);
    }
    minted.set(user.sub, user);
  }
}
