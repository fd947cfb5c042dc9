import type { KeyValueStore } from '../kv/kv.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/crypto.js';
import type { Logger } from '../lib/logger.js';
import type { Db } from '../store/database.js';

/** The part of the process config the core reads. */
export interface CoreSettings {
  /** Base URL without trailing slash; issuers are `{publicUrl}/t/{tenant}`. */
  readonly publicUrl: string;
  readonly mode: 'development' | 'test' | 'production';
  /** Per-connection `endpoints`/`emulator` overrides are honoured (development, test, or explicit opt-in). */
  readonly allowInsecureUpstreams: boolean;
  readonly upstreamTimeoutMs: number;
  /** SMTP URL for mail; unset: mail goes to the dev outbox (never in production). */
  readonly smtpUrl?: string;
  readonly mailFrom: string;
}

/** Everything the core depends on; built once in `compose.ts` and handed to `createCore`. */
export interface CoreDeps {
  readonly db: Db;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly secretBox: SecretBox;
  readonly settings: CoreSettings;
  /** Outbound HTTP (IdPs); tests hand in the global fetch pointed at loopback servers. */
  readonly fetch: typeof globalThis.fetch;
}
