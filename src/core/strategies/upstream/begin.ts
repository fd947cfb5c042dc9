import { randomToken, sha256 } from '../../../lib/crypto.js';
import { newId } from '../../../lib/ids.js';
import { flowsRepo } from '../../../store/repositories/flows.js';
import type { LoginBindingKind } from '../../../store/schema.js';
import type { CoreDeps } from '../../deps.js';
import { GatehouseError } from '../../errors.js';
import {
  flowLifetimeMs,
  type LoginFlow,
  type LoginTarget,
  newFlowState,
  stateDigest,
  toLoginFlow,
} from '../../flows/flow.js';
import type { Tenant } from '../../tenants/tenant.js';
import type { ConnectorCache } from './connectors.js';

export interface BeginUpstreamLoginInput {
  readonly tenant: Tenant;
  /** The tenant's connection to sign in with (`google`, `acme-okta`). */
  readonly connectionId: string;
  readonly target: LoginTarget;
  /**
   * Where the IdP returns (the OAuth `redirect_uri` sent upstream), chosen by the surface that serves the callback
   * and built from configuration (the public URL, or a host name the tenant lists), never from a request header as
   * such. The callback must later be presented under `callbackName`.
   */
  readonly callbackUrl: string;
  /** The name the callback is presented under (`completeUpstreamLogin`'s `callbackName`, matched ignoring case). */
  readonly callbackName: string;
  /**
   * Who started the flow and must finish it. `browser`: the returned secret is set as a cookie, and the IdP callback
   * and every later step require it. `app` (a native or server-side caller): the secret is handed to the app, which
   * presents it when it resumes; the callback, in a browser the app opened, cannot carry it.
   */
  readonly binding: LoginBindingKind;
  readonly loginHint?: string;
}

export interface BeginUpstreamLoginResult {
  readonly flow: LoginFlow;
  /** The flow's public handle (the OAuth `state` sent upstream). */
  readonly state: string;
  /** Where to send the browser. */
  readonly authorizationUrl: URL;
  /** The binding secret: the browser's cookie, or what the app presents on resuming. Only its digest is stored. */
  readonly binding: string;
  readonly expiresAt: Date;
}

/**
 * The begin half of `upstream` (a redirect to an IdP through its connector): stores a login flow (`started`) with a fresh state, PKCE verifier and nonce (the verifier and nonce
 * sealed with the master key, since the code exchange needs them back), asks the connection's connector for the
 * authorization URL, and moves the flow to `at_idp`.
 * @throws GatehouseError `not_found` (no such connection), `invalid_request` (unusable connection), UpstreamError
 *   (discovery failed).
 */
export const createBeginUpstreamLogin =
  (deps: CoreDeps, connectors: ConnectorCache) =>
  async (input: BeginUpstreamLoginInput): Promise<BeginUpstreamLoginResult> => {
    const { tenant } = input;
    const connector = await connectors.get(tenant.id, input.connectionId);
    const state = newFlowState(tenant.id);
    const nonce = randomToken(16);
    const codeVerifier = randomToken(32);
    const binding = randomToken(32);
    const { callbackName, callbackUrl: redirectUri } = input;
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + flowLifetimeMs.atIdp);
    const row = await flowsRepo.insert(deps.db, {
      id: newId(),
      tenant_id: tenant.id,
      state_digest: stateDigest(state),
      status: 'started',
      first_factor: 'upstream',
      connection_id: connector.id,
      callback_name: callbackName,
      redirect_uri: redirectUri,
      code_verifier_enc: deps.secretBox.seal(codeVerifier),
      nonce_enc: deps.secretBox.seal(nonce),
      binding_digest: sha256(binding),
      binding_kind: input.binding,
      target: JSON.stringify(input.target),
      client_id: input.target.clientId,
      amr: JSON.stringify([]),
      expires_at: expiresAt,
    });
    const authorizationUrl = await connector.authorizationUrl({
      redirectUri,
      state,
      nonce,
      codeVerifier,
      ...(input.loginHint === undefined ? {} : { loginHint: input.loginHint }),
    });
    const atIdp = await flowsRepo.transition(deps.db, row.id, { from: ['started'], now }, { status: 'at_idp' });
    if (atIdp === undefined) throw new GatehouseError('flow_invalid', 'the login flow expired before it started');
    return {
      flow: toLoginFlow(atIdp),
      state,
      authorizationUrl,
      binding,
      expiresAt,
    };
  };

export type BeginUpstreamLogin = ReturnType<typeof createBeginUpstreamLogin>;
