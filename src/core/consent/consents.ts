import { clientsRepo } from '../../store/repositories/clients.js';
import { consentsRepo } from '../../store/repositories/consents.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';

/** What a third-party client's authorization request needs from the user before a code is issued. */
export interface ConsentNeed {
  /** Ask the user (a consent page); false: issue the code at once. */
  readonly ask: boolean;
  /** The scopes the request asks for. */
  readonly scopes: readonly string[];
  /** Those the user has not allowed this client before (all of them with `prompt=consent`). */
  readonly newScopes: readonly string[];
}

/** Whether the client is a third party, whose access the user allows (`settings.consent: required`). */
const isThirdParty = (client: Pick<Client, 'settings'>): boolean => client.settings.consent === 'required';

/**
 * The core's own guard before a code is issued: a third-party client gets one only for scopes the user allowed it
 * (whatever the surface did before).
 * @throws GatehouseError `consent_required`
 */
export const createRequireConsent =
  (deps: CoreDeps) =>
  async (clientId: string, userId: string, scopes: readonly string[]): Promise<void> => {
    const client = await clientsRepo.find(deps.db, clientId);
    if (client === undefined || !isThirdParty(client)) return;
    const stored = await consentsRepo.scopeOf(deps.db, userId, clientId);
    const granted = stored === undefined ? undefined : stored.split(' ');
    if (granted === undefined || scopes.some((scope) => !granted.includes(scope)))
      throw new GatehouseError('consent_required', 'the user has not allowed this application these scopes');
  };

/**
 * Consent (`core.consent`): a third-party client gets a code only for scopes the user allowed it, remembered per user
 * and client; asked again for new scopes, or always with `prompt=consent`. First-party clients are never asked.
 */
export const createConsentUseCases = (deps: CoreDeps, audit: AuditLog) => ({
  /** What the user must allow before `client` gets a code for `scopes`. */
  need: async (
    client: Client,
    userId: string,
    scopes: readonly string[],
    prompt: readonly string[],
  ): Promise<ConsentNeed> => {
    if (!isThirdParty(client)) return { ask: false, scopes, newScopes: [] };
    const stored = await consentsRepo.scopeOf(deps.db, userId, client.clientId);
    const granted = stored === undefined ? [] : stored.split(' ').filter(Boolean);
    const newScopes = prompt.includes('consent') ? [...scopes] : scopes.filter((s) => !granted.includes(s));
    return { ask: stored === undefined || newScopes.length > 0 || prompt.includes('consent'), scopes, newScopes };
  },

  /** The user allowed `scopes`: remembered with what they allowed before, and audited. */
  allow: async (client: Client, userId: string, scopes: readonly string[], ip?: string): Promise<void> => {
    const stored = await consentsRepo.scopeOf(deps.db, userId, client.clientId);
    const all = [...new Set([...(stored === undefined ? [] : stored.split(' ').filter(Boolean)), ...scopes])];
    await consentsRepo.upsert(deps.db, {
      user_id: userId,
      client_id: client.clientId,
      tenant_id: client.tenantId,
      scope: all.join(' '),
      now: deps.clock.now(),
    });
    audit.record({
      type: 'consent.granted',
      outcome: 'success',
      tenantId: client.tenantId,
      clientId: client.clientId,
      userId,
      actor: `user:${userId}`,
      ...(ip === undefined ? {} : { ip }),
      details: { scope: scopes.join(' ') },
    });
  },

  /** The user declined: audited; nothing is stored. */
  deny: (client: Client, userId: string, scopes: readonly string[], ip?: string): void => {
    audit.record({
      type: 'consent.denied',
      outcome: 'info',
      tenantId: client.tenantId,
      clientId: client.clientId,
      userId,
      actor: `user:${userId}`,
      ...(ip === undefined ? {} : { ip }),
      details: { scope: scopes.join(' ') },
    });
  },
});
