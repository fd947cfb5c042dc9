import { type LinkRefusal, linkRefusalOf } from '../../core/accounts/link-proof.js';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { type ProductKind, products } from '../../core/sign-in/products.js';
import type { IdpTokenSignIn } from '../../core/sign-in/sign-in-with-idp-token.js';
import { presentedTokenKind } from '../../core/sign-in/token-kind.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { defineGrant, type TokenResponse, toTokenResponse } from '../shared/token/grants/grant.js';

/** The connector kind a provider grant verifies with: `grant_type` is the product's name, case-sensitive. */
const kindOf = (grantType: string): ProductKind => {
  const product = products.find((p) => p.name === grantType);
  if (product === undefined) throw new TypeError(`${grantType} is not a provider grant`);
  return product.kind;
};

/** The tenant's connection for a provider grant: the one whose id is the kind, else the only one of that kind. */
const connectionFor = async (core: Core, tenant: Tenant, kind: string): Promise<string> => {
  const ofKind = (await core.connections.list(tenant.id)).filter((c) => c.kind === kind);
  const chosen = ofKind.find((c) => c.id === kind) ?? (ofKind.length === 1 ? ofKind[0] : undefined);
  if (chosen === undefined)
    throw new GatehouseError('unsupported_grant_type', `${kind} sign-in is not configured for this tenant`);
  return chosen.id;
};

/** What each refused `ff_token` is told: the STS's own `Invalid ff_token`, and why when it is more than that. */
const ffTokenRefusals: Record<LinkRefusal, string> = {
  invalid: 'Invalid ff_token',
  not_a_user: 'Invalid ff_token',
  wrong_client: 'Invalid ff_token: it was issued to another client',
  stale: 'Invalid ff_token: it is too old to link an account; sign in again',
  replayed: 'Invalid ff_token: it has already been used',
};

/** The STS's words for what the sign-in threw: the assertion is the grant, so a token of the wrong kind is invalid. */
const stsError =
  (grantType: string) =>
  (error: unknown): never => {
    if (error instanceof GatehouseError && error.code === 'unsupported_token_type')
      throw new GatehouseError('invalid_grant', `the assertion is not a ${grantType} token`, { cause: error });
    const reason = linkRefusalOf(error);
    throw reason === undefined ? error : new GatehouseError('invalid_grant', ffTokenRefusals[reason], { cause: error });
  };

const rendered = (signIn: IdpTokenSignIn<IssuedTokens>, kind: string): TokenResponse => {
  switch (signIn.kind) {
    case 'issued':
      return toTokenResponse(signIn.tokens);
    case 'new_user':
      if (signIn.newUserToken === undefined) throw new Error('a newuser token was asked for and not issued');
      return toTokenResponse(signIn.newUserToken);
    case 'merge_needed':
      throw new GatehouseError('merge_needed', `Merge needed for email ${signIn.email}`);
    case 'refused':
      switch (signIn.reason) {
        case 'email_missing':
          throw new GatehouseError('idp_email_missing', `No email returned from ${kind}`);
        case 'unknown_connection':
          throw new GatehouseError('unsupported_grant_type', `${kind} sign-in is not configured for this tenant`);
        default:
          throw new GatehouseError('identity_already_linked', `This ${kind} account is already linked to another user`);
      }
  }
};

/**
 * The STS provider grants (`grant_type=Facebook`, `Google`, …; one per product of the connector registry):
 * `assertion` is the provider's token, verified with the provider on every call. A known user gets tokens whose
 * access token says `amr: ["external", <provider>]`; a new email gets a `newuser` token that can only create the
 * account (`POST /connect/accounts`); an email already taken is "Merge needed for email …", resolved by repeating the
 * request with that account's access token as `ff_token`: one this same client obtained from a recent sign-in of that
 * account, accepted once (see `LinkProof`).
 */
export const providerGrant = defineGrant(
  ['assertion', 'ff_token', 'scope'],
  async ({ core, tenant, client, grantType, params, ip }) => {
    const assertion = params.assertion;
    if (assertion === undefined || assertion === '')
      throw new GatehouseError('invalid_request', 'assertion is missing');
    const kind = kindOf(grantType);
    const scope = core.tokens.scopes.parse(params.scope);
    core.tokens.scopes.requireAllowed(client, scope);
    const connectionId = await connectionFor(core, tenant, kind);
    const signIn = await core.login
      .signInWithIdpToken({
        tenant,
        client,
        ip,
        connectionId,
        token: { kind: presentedTokenKind(assertion), value: assertion },
        intent: params.ff_token === undefined ? { kind: 'login' } : { kind: 'link', proof: params.ff_token },
        issue: { scope, amr: ['external', kind], grantType, newUserToken: true, newUserTokenClaims: { newuser: true } },
      })
      .catch(stsError(grantType));
    return rendered(signIn, kind);
  },
);
