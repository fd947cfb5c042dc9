import type { AuditLog } from '../audit/events.js';
import { type AccountResolution, isSignedIn, type ResolveAccountInput } from './outcomes.js';

/** The audit event of each resolution. */
export const accountAuditType = {
  logged_in: 'login.succeeded',
  created: 'user.created',
  linked: 'identity.linked',
  new_user_required: 'login.new_user_required',
  merge_needed: 'login.merge_needed',
  email_missing: 'login.email_missing',
  already_linked_elsewhere: 'login.failed',
} as const satisfies Record<AccountResolution['kind'], string>;

/** Records a resolution's audit event (`login.succeeded`, `user.created`, …). */
export const recordOutcome = (audit: AuditLog, input: ResolveAccountInput, resolution: AccountResolution) => {
  const signedIn = isSignedIn(resolution);
  audit.record({
    type: accountAuditType[resolution.kind],
    outcome: signedIn ? 'success' : resolution.kind === 'already_linked_elsewhere' ? 'failure' : 'info',
    tenantId: input.tenant.id,
    idp: input.profile.idp,
    ...(signedIn ? { userId: resolution.user.id } : {}),
    details: {
      resolution: resolution.kind,
      intent: input.intent.kind,
      ...(resolution.kind === 'linked' ? { automatic: resolution.automatic } : {}),
    },
  });
};
