import type { PresentedToken } from '../../../connectors/connector.js';
import { type LinkProof, type LinkRefusal, linkRefusalOf } from '../../../core/accounts/link-proof.js';
import { assertNever, GatehouseError } from '../../../core/errors.js';
import type { Core } from '../../../core/index.js';
import { type GrantContext, type GrantHandler, required, toTokenResponse } from './grant.js';

// RFC 8693 §3: token type identifiers.
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';
const idTokenType = 'urn:ietf:params:oauth:token-type:id_token';

const subjectKind = (type: string): PresentedToken['kind'] => {
  if (type === accessTokenType) return 'access_token';
  if (type === idTokenType) return 'id_token';
  // RFC 8693 §2.2.2: an unsupported token type is `invalid_request`.
  throw new GatehouseError('invalid_request', `subject_token_type ${JSON.stringify(type)} is not supported`);
};

/** What each refused `actor_token` is told (RFC 8693 §2.2.2: `invalid_grant` for a token that does not do). */
const actorRefusals: Record<LinkRefusal, string> = {
  invalid: 'the actor_token is invalid or expired',
  not_a_user: 'the actor_token does not belong to a user',
  wrong_client: 'the actor_token was not issued to this client',
  stale: 'the actor_token is too old to link an identity: sign in again and use the new access token',
  replayed: 'the actor_token has already been used to link an identity',
};

const asActorError = (error: unknown): unknown => {
  const reason = linkRefusalOf(error);
  return reason === undefined ? error : new GatehouseError('invalid_grant', actorRefusals[reason], { cause: error });
};

/** The account an `actor_token` proves: see `LinkProof` (a recent sign-in's access token of this same client). */
const actorProof = async (
  core: Core,
  context: Pick<GrantContext, 'tenant' | 'client' | 'ip'>,
  token: string | undefined,
  type: string | undefined,
): Promise<LinkProof | undefined> => {
  if (token === undefined) return undefined;
  if (type !== accessTokenType)
    throw new GatehouseError('invalid_request', `actor_token_type must be ${accessTokenType}`);
  return core.accounts.verifyLinkProof({ ...context, token }).catch((error: unknown) => {
    throw asActorError(error);
  });
};

/**
 * RFC 8693 token exchange of an identity provider's token (external → internal): `subject_token` is what a native
 * app got from the provider, `subject_issuer` names the tenant's connection. A linked identity signs in; a new one
 * with an unknown email creates the user; an email that belongs to another account is refused unless the request
 * proves that account with `actor_token`, which links the identity to it: an access token this same client obtained
 * from a recent sign-in of that account, accepted once (see `LinkProof`).
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
  const proof = await actorProof(core, { tenant, client, ip }, params.actor_token, params.actor_token_type);

  const signIn = await core.login
    .signInWithIdpToken({
      tenant,
      connectionId,
      token: { kind, value },
      intent: proof === undefined ? { kind: 'signup' } : { kind: 'link', proof },
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
      throw asActorError(error);
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
