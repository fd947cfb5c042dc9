import type { PresentedToken } from '../../connectors/connector.js';
import { type LinkProof, type LinkRefusal, linkRefusalOf } from '../../core/accounts/link-proof.js';
import type { Client } from '../../core/clients/client.js';
import { assertNever, GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { newUserClaims, newUserScope } from '../../core/login/new-user-token.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { type TokenResponse, toTokenResponse } from '../oauth/grants/grant.js';
import { type ProviderGrant, providerGrants } from './provider-grants.js';
import type { StsTokenRequest } from './schemas.js';

export interface IdpGrantContext {
  readonly core: Core;
  readonly tenant: Tenant;
  readonly client: Client;
  readonly grant: ProviderGrant;
  readonly params: StsTokenRequest;
  readonly ip: string;
}

/** The tenant's connection for a provider grant: the one whose id is the kind, else the only one of that kind. */
const connectionFor = async (core: Core, tenant: Tenant, kind: string): Promise<string> => {
  const ofKind = (await core.connections.list(tenant.id)).filter((c) => c.kind === kind);
  const chosen = ofKind.find((c) => c.id === kind) ?? (ofKind.length === 1 ? ofKind[0] : undefined);
  if (chosen === undefined)
    throw new GatehouseError('unsupported_grant_type', `${kind} sign-in is not configured for this tenant`);
  return chosen.id;
};

// A JWS compact serialisation is an ID token (OIDC, Facebook Limited Login); anything else is an access token.
const tokenKind = (assertion: string): PresentedToken['kind'] =>
  /^[\w-]+\.[\w-]+\.[\w-]+$/.test(assertion) ? 'id_token' : 'access_token';

/** What each refused `ff_token` is told: the STS's own `Invalid ff_token`, and why when it is more than that. */
const ffTokenRefusals: Record<LinkRefusal, string> = {
  invalid: 'Invalid ff_token',
  not_a_user: 'Invalid ff_token',
  wrong_client: 'Invalid ff_token: it was issued to another client',
  stale: 'Invalid ff_token: it is too old to link an account; sign in again',
  replayed: 'Invalid ff_token: it has already been used',
};

const asFfTokenError = (error: unknown): unknown => {
  const reason = linkRefusalOf(error);
  return reason === undefined ? error : new GatehouseError('invalid_grant', ffTokenRefusals[reason], { cause: error });
};

/** The account an `ff_token` proves: see `LinkProof` (a recent sign-in's access token of this same client). */
const linkProof = async (
  core: Core,
  context: Pick<IdpGrantContext, 'tenant' | 'client' | 'ip'>,
  ffToken: string | undefined,
): Promise<LinkProof | undefined> =>
  ffToken === undefined
    ? undefined
    : core.accounts.verifyLinkProof({ ...context, token: ffToken }).catch((error: unknown) => {
        throw asFfTokenError(error);
      });

/**
 * The STS provider grant (`grant_type=Facebook`, `Google`, …): `assertion` is the provider's token, verified with the
 * provider on every call. A known user gets tokens whose access token says `amr: ["external", <provider>]`; a new
 * email gets a `newuser` token that can only create the account (`POST /connect/accounts`); an email already taken is
 * "Merge needed for email …", resolved by repeating the request with that account's access token as `ff_token`: one
 * this same client obtained from a recent sign-in of that account, accepted once (see `LinkProof`).
 */
export const idpGrant = async ({
  core,
  tenant,
  client,
  grant,
  params,
  ip,
}: IdpGrantContext): Promise<TokenResponse> => {
  const assertion = params.assertion;
  if (assertion === undefined || assertion === '') throw new GatehouseError('invalid_request', 'assertion is missing');
  const kind = providerGrants[grant];
  const scope = core.tokens.scopes.parse(params.scope);
  core.tokens.scopes.requireAllowed(client, scope);
  const connectionId = await connectionFor(core, tenant, kind);
  const proof = await linkProof(core, { tenant, client, ip }, params.ff_token);

  const { resolution, result, profile } = await core.login
    .signInWithIdpToken({
      tenant,
      connectionId,
      token: { kind: tokenKind(assertion), value: assertion },
      intent: proof === undefined ? { kind: 'login' } : { kind: 'link', proof },
      clientId: client.clientId,
      ip,
      within: core.tokens.issueOnSignIn({ tenant, client, scope, amr: ['external', kind], grantType: grant, ip }),
    })
    .catch((error: unknown) => {
      // The assertion is the grant: a token of a kind the provider does not issue is an invalid grant here.
      if (error instanceof GatehouseError && error.code === 'unsupported_token_type')
        throw new GatehouseError('invalid_grant', `the assertion is not a ${grant} token`, { cause: error });
      throw asFfTokenError(error);
    });

  switch (resolution.kind) {
    case 'logged_in':
    case 'linked':
    case 'created':
      if (result === undefined) throw new Error('tokens were not issued for a signed-in resolution');
      return toTokenResponse(result);
    case 'new_user_required':
      return toTokenResponse(
        await core.tokens.issueTokens({
          tenant,
          client,
          userId: undefined,
          scope: [newUserScope],
          extraClaims: newUserClaims(profile),
          refreshToken: false,
          grantType: grant,
          ip,
        }),
      );
    case 'merge_needed':
      throw new GatehouseError('merge_needed', `Merge needed for email ${resolution.email}`);
    case 'email_missing':
      throw new GatehouseError('idp_email_missing', `No email returned from ${kind}`);
    case 'already_linked_elsewhere':
      throw new GatehouseError('identity_already_linked', `This ${kind} account is already linked to another user`);
    default:
      return assertNever(resolution);
  }
};
