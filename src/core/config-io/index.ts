import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { exportConfig } from './export-config.js';
import { importConfig } from './import-config.js';

export type { ConfigDocument, ImportCounts, ImportResult } from './document.js';

/** Import and export of the configuration document (tenants, clients, IdP connections, users). */
export const createConfigIoUseCases = (deps: CoreDeps, audit: AuditLog) => ({
  /** See `importConfig`: idempotent, one transaction. */
  importConfig: (document: unknown, options: { actor?: string; atStart?: boolean } = {}) =>
    importConfig(deps, audit, document, options),
  /** See `exportConfig`: secrets only as digests or sealed values. */
  exportConfig: (options: { tenants?: readonly string[] } = {}) => exportConfig(deps, options),
});

export type ConfigIoUseCases = ReturnType<typeof createConfigIoUseCases>;
