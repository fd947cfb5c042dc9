import type { PresentedToken } from '../../../connectors/connector.js';
import { assertNever, GatehouseError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import { userIdOfToken } from '../../../core/login/new-user-token.js';
import type { Tenant } from '../../../core/tenants/tenant.js';
import { type GrantHandler, required, toTokenResponse } from './grant.js';

// RFC 8693 §3: token type identifiers.
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';

const subjectKind = (type: string): PresentedToken['kind'] => {
  if (type === accessTokenType) return 'access_token';
  if (type === idTokenType) return 'id_token';
  // RFC 8693 §2.2.2: an unsupported token type is `invalid_request`.
  throw new GatehouseError('invalid_request', `subject_token_type ${JSON.stringify(type)} is not supported`);
};

/** The user an `actor_token` proves: one of this tenant's own access tokens, issued to a user. */
const actorUser = async (core: Core, tenant: Tenant, token: string | undefined, type: string | undefined) => {
  if (token === undefined) return undefined;
  if (type !== accessTokenType)
    throw new GatehouseError('invalid_request', `actor_token_type must be ${accessTokenType}`);
  const claims = await core.tokens.verifyAccessToken(tenant.id, token).catch((error: unknown) => {
    throw new GatehouseError('invalid_grant', 'the actor_token is invalid or expired', { cause: error });
  });
  const userId = userIdOfToken(claims);
  if (userId === undefined) throw new GatehouseError('invalid_grant', 'the actor_token does not belong to a user');
  return userId;
};

/**
 * RFC 8693 token exchange of an identity provider's token (external → internal): `subject_token` is what a native
 * app got from the provider, `subject_issuer` names the tenant's connection. A linked identity signs in; a new one
 * with an unknown email creates the user; an email that belongs to another account is refused unless the request
 * proves that account with its own access token as `actor_token`, which links the identity to it.
 */
export const tokenExchangeGrant: GrantHandler = async ({ core, tenant, client, params, ip }) => {
  const value = required(params, 'subject_token');
  const kind = subjectKind(required(params, 'subject_token_type'));
  const connectionId = required(params, 'subject_issuer');
  const requested = params.requested_token_type;
  if (requested !== undefined && requested !== accessTokenType)
    throw new GatehouseError('invalid_request', `requested_token_type must be ${accessTokenType}`);
  const scope = core.tokens.scopes.parse(params.scope);
  core.tokens.scopes.requireAllowed(client, scope);
  const linkTo = await actorUser(core, tenant, params.actor_token, params.actor_token_type);

  const signIn = await core.login
    .signInWithIdpToken({
      tenant,
      connectionId,
      token: { kind, value },
      intent: linkTo === undefined ? { kind: 'signup' } : { kind: 'link', userId: linkTo },
      clientId: client.clientId,
      ip,
      within: core.tokens.issueOnSignIn({
        tenant,
        client,
        scope,
        amr: ['external', connectionId],
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        ip,
      }),
    })
    .catch((error: unknown) => {
      if (error instanceof GatehouseError && error.code === 'not_found')
        throw new GatehouseError(
          'invalid_request',
          `subject_issuer ${JSON.stringify(connectionId)} is not a configured identity provider`,
        );
      throw error;
    });

  const { resolution } = signIn;
  switch (resolution.kind) {
    case 'logged_in':
    case 'created':
    case 'linked':
      if (signIn.result === undefined) throw new Error('tokens were not issued for a signed-in resolution');
      return { ...toTokenResponse(signIn.result), issued_token_type: accessTokenType };
    case 'merge_needed':
      throw new GatehouseError(
        'merge_needed',
        `The email address ${resolution.email} belongs to an existing account; to link this identity to it, repeat the request with that account's access token as actor_token`,
      );
    case 'email_missing':
      throw new GatehouseError(
        'idp_email_missing',
        `The identity provider ${resolution.idp} returned no email address`,
      );
    case 'already_linked_elsewhere':
      throw new GatehouseError('identity_already_linked', 'This identity is already linked to another account');
    case 'new_user_required':
      // A signup intent creates the user instead; a login intent is never used here.
      throw new Error('unexpected new_user_required for a signup intent');
    default:
      return assertNever(resolution);
  }
};
