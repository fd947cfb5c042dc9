import type { Core } from '../core/index.js';
import type { Logger } from '../lib/logger.js';

export interface ServerOptions {
  readonly core: Core;
  readonly log: Logger;
  readonly publicUrl: string;
  readonly mode: 'development' | 'test' | 'production';
  readonly trustProxy?: boolean;
  /** Mount the local IdP emulator at `/_emulator` (development/test only). */
  readonly emulator?: boolean;
  /** The admin API's bearer token; the admin API answers 401 to everything without it. */
  readonly adminToken?: string;
  /** The bearer token `GET /metrics` requires; without it `/metrics` is open in development and test, off in production. */
  readonly metricsToken?: string;
}
