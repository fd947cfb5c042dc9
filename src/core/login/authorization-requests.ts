import { randomToken, sha256 } from '../../lib/crypto.js';
import { authorizationRequestsRepo } from '../../store/repositories/authorization-requests.js';
import type { AuthorizationParams, AuthorizationRequestRow } from '../../store/schema.js';
import type { CoreDeps } from '../deps.js';
import { GatehouseError } from '../errors.js';
import { requireSecondFactorSatisfied } from '../flows/assurance.js';
import type { Tenant } from '../tenants/tenant.js';
import type { AuthorizationCodes } from '../tokens/authorization-codes.js';
import { issuerOf } from '../tokens/issuer.js';

export type { AuthorizationParams } from '../../store/schema.js';

/** An authorization request waiting for the user to sign in; any instance can finish it. */
export interface PendingAuthorization {
  /** Unguessable; names the request in the sign-in page URL. */
  readonly id: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly params: AuthorizationParams;
  readonly expiresAt: Date;
}

/** Who signed in, and how: what a code (and the tokens redeemed for it) will say. */
export interface SignedIn {
  readonly userId: string;
  readonly amr: readonly string[];
  readonly authTime: Date;
  /** The browser session, when one was started (ID token `sid`). */
  readonly sid?: string;
  /** The upstream identity the user signed in through, if any: the code's token family records it. */
  readonly identityId?: string;
}

/** An approved authorization request: where to send the browser, and what with (RFC 6749 §4.1.2, RFC 9207). */
export interface AuthorizationResult {
  readonly redirectUri: string;
  readonly code: string;
  readonly state?: string;
  readonly issuer: string;
}

/** How long a user has to sign in once the client sent them. */
export const authorizationRequestLifetimeSeconds = 30 * 60;

const toPending = (row: AuthorizationRequestRow): PendingAuthorization => ({
  id: row.id,
  tenantId: row.tenant_id,
  clientId: row.client_id,
  params: row.params,
  expiresAt: row.expires_at,
});

/**
 * Pending authorization requests (`core.login.authorizationRequests`). Each is a row, bound to the browser that
 * started it by a secret the surface keeps in a cookie (only its digest is stored), and completed once.
 */
export const createAuthorizationRequests = (
  deps: CoreDeps,
  codes: AuthorizationCodes,
  /** @throws GatehouseError `consent_required` (a third-party client the user has not allowed these scopes) */
  requireConsent: (clientId: string, userId: string, scopes: readonly string[]) => Promise<void>,
) => {
  const issueCode = async (
    tenantId: string,
    clientId: string,
    params: AuthorizationParams,
    signedIn: SignedIn,
  ): Promise<AuthorizationResult> => {
    await requireConsent(clientId, signedIn.userId, params.scope === '' ? [] : params.scope.split(' '));
    const code = await codes.issue({
      tenantId,
      clientId,
      userId: signedIn.userId,
      redirectUri: params.redirectUri,
      scope: params.scope === '' ? [] : params.scope.split(' '),
      ...(params.nonce === undefined ? {} : { nonce: params.nonce }),
      ...(params.codeChallenge === undefined ? {} : { codeChallenge: params.codeChallenge }),
      authTime: signedIn.authTime,
      amr: signedIn.amr,
      ...(signedIn.sid === undefined ? {} : { sid: signedIn.sid }),
      ...(signedIn.identityId === undefined ? {} : { identityId: signedIn.identityId }),
    });
    return {
      redirectUri: params.redirectUri,
      code,
      ...(params.state === undefined ? {} : { state: params.state }),
      issuer: issuerOf(deps.settings, tenantId),
    };
  };

  return {
    /**
     * Stores a validated authorization request until the user has signed in.
     * @returns the request and the browser-binding secret the surface must set as a cookie.
     */
    begin: async (input: {
      tenantId: string;
      clientId: string;
      params: AuthorizationParams;
    }): Promise<{ request: PendingAuthorization; binding: string }> => {
      const binding = randomToken(32);
      const now = deps.clock.now();
      const row = {
        id: randomToken(24),
        tenant_id: input.tenantId,
        client_id: input.clientId,
        binding_digest: sha256(binding),
        params: input.params,
        created_at: now,
        expires_at: new Date(now.getTime() + authorizationRequestLifetimeSeconds * 1000),
      };
      await authorizationRequestsRepo.insert(deps.db, row);
      return { request: toPending(row), binding };
    },

    /** The live request `id` of this tenant, if `binding` is the secret of the browser that started it. */
    find: async (tenantId: string, id: string, binding: string): Promise<PendingAuthorization | undefined> => {
      const row = await authorizationRequestsRepo.find(deps.db, tenantId, id, sha256(binding), deps.clock.now());
      return row === undefined ? undefined : toPending(row);
    },

    /**
     * Completes a pending request after a sign-in (single use: of two concurrent completions one wins) and issues the
     * code. The extension point for any sign-in method, the hosted password page now, upstream IdPs later.
     * @throws GatehouseError `mfa_required` (the sign-in does not meet the tenant's second-factor policy: the request
     *   stays pending), `flow_invalid` when the request is unknown, expired, already completed or not this browser's.
     */
    complete: async (tenant: Tenant, id: string, binding: string, signedIn: SignedIn): Promise<AuthorizationResult> => {
      requireSecondFactorSatisfied(tenant, signedIn.amr);
      const row = await authorizationRequestsRepo.consume(deps.db, tenant.id, id, sha256(binding), deps.clock.now());
      if (row === undefined)
        throw new GatehouseError('flow_invalid', 'the sign-in request is unknown, expired or already completed');
      return issueCode(tenant.id, row.client_id, row.params, signedIn);
    },

    /**
     * Ends a pending request the user declined (consent denied), once: no code is issued.
     * @returns where to send the browser with the error (the request's redirect URI, `state` and issuer).
     * @throws GatehouseError `flow_invalid` when the request is unknown, expired, already completed or not this
     *   browser's.
     */
    decline: async (
      tenant: Tenant,
      id: string,
      binding: string,
    ): Promise<{ redirectUri: string; state?: string; issuer: string }> => {
      const row = await authorizationRequestsRepo.consume(deps.db, tenant.id, id, sha256(binding), deps.clock.now());
      if (row === undefined)
        throw new GatehouseError('flow_invalid', 'the sign-in request is unknown, expired or already completed');
      return {
        redirectUri: row.params.redirectUri,
        ...(row.params.state === undefined ? {} : { state: row.params.state }),
        issuer: issuerOf(deps.settings, tenant.id),
      };
    },

    /**
     * Approves a request at once, without storing it (a live single sign-on session answers it).
     * @throws GatehouseError `mfa_required` when the sign-in does not meet the tenant's second-factor policy.
     */
    approve: async (
      tenant: Tenant,
      clientId: string,
      params: AuthorizationParams,
      signedIn: SignedIn,
    ): Promise<AuthorizationResult> => {
      requireSecondFactorSatisfied(tenant, signedIn.amr);
      return issueCode(tenant.id, clientId, params, signedIn);
    },

    /** Deletes expired pending requests (for a periodic job). */
    purgeExpired: async (): Promise<void> => {
      await authorizationRequestsRepo.deleteExpired(deps.db, deps.clock.now());
    },
  };
};

export type AuthorizationRequests = ReturnType<typeof createAuthorizationRequests>;
