import { isUuid } from '../../lib/ids.js';
import { revokeTokenFamiliesOfUser } from '../../store/combined/revoke-token-families.js';
import { identitiesRepo } from '../../store/repositories/identities.js';
import { sessionsRepo } from '../../store/repositories/sessions.js';
import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';

/**
 * Removes the link between a user and one of their upstream identities, and ends what was obtained through it, in the
 * same transaction: the refresh-token families it started (their access tokens revoked too) and the browser sessions
 * it signed in. Every path that unlinks (admin API, CLI, account page) comes here. Refuses to remove the user's last
 * way to sign in (no password and no other identity). Locks the user row, so two concurrent unlinks cannot both pass
 * the check.
 * @throws GatehouseError `not_found` (user or link), `last_login_method`
 */
export const createUnlinkIdentity =
  (deps: CoreDeps, audit: AuditLog) =>
  async (tenantId: string, userId: string, idp: string, actor: string): Promise<void> => {
    if (!isUuid(userId)) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
    const ended = await deps.db.transaction().execute(async (trx) => {
      const user = await trx
        .selectFrom('users')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', userId)
        .forUpdate()
        .executeTakeFirst();
      if (user === undefined) throw new GatehouseError('not_found', `user ${JSON.stringify(userId)} does not exist`);
      const identities = await identitiesRepo.listByUser(trx, userId);
      const unlinked = identities.filter((i) => i.idp === idp);
      if (unlinked.length === 0)
        throw new GatehouseError('not_found', `the user has no identity from ${JSON.stringify(idp)}`);
      if (user.password_hash === null && identities.length <= 1)
        throw new GatehouseError(
          'last_login_method',
          "this is the user's only way to sign in; set a password or link another provider first",
        );
      await identitiesRepo.delete(trx, tenantId, userId, idp);
      const now = deps.clock.now();
      let families = 0;
      let sessions = 0;
      for (const identity of unlinked) {
        families += (await revokeTokenFamiliesOfUser(trx, userId, identity.id, now)).length;
        sessions += await sessionsRepo.deleteOfUser(trx, userId, identity.id);
      }
      return { families, sessions };
    });
    audit.record({
      type: 'identity.unlinked',
      outcome: 'success',
      tenantId,
      userId,
      idp,
      actor,
      details: { familiesRevoked: ended.families, sessionsEnded: ended.sessions },
    });
  };
