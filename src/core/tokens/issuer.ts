import type { CoreSettings } from '../deps.js';

/** The issuer of a tenant: `{publicUrl}/t/{tenant}` (the `iss` of its tokens and the base of its endpoints). */
export const issuerOf = (settings: CoreSettings, tenantId: string): string => `${settings.publicUrl}/t/${tenantId}`;
