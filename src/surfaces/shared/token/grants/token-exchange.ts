import { type LinkRefusal, linkRefusalOf } from '../../../../core/accounts/link-proof.js';
import { GatehouseError } from '../../../../core/errors.js';
import type { IdpTokenSignIn } from '../../../../core/sign-in/sign-in-with-idp-token.js';
import { presentedTokenKind } from '../../../../core/sign-in/token-kind.js';
import type { IssuedTokens } from '../../../../core/tokens/tokens.js';
import { defineGrant, required, type TokenResponse, toTokenResponse } from './grant.js';

// RFC 8693 §3: token type identifiers.
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';

/** What each refused `actor_token` is told (RFC 8693 §2.2.2: `invalid_grant` for a token that does not do). */
const actorRefusals: Record<LinkRefusal, string> = {
  invalid: 'the actor_token is invalid or expired',
  not_a_user: 'the actor_token does not belong to a user',
  wrong_client: 'the actor_token was not issued to this client',
  stale: 'the actor_token is too old to link an identity: sign in again and use the new access token',
  replayed: 'the actor_token has already been used to link an identity',
};

const asActorError = (error: unknown): never => {
  const reason = linkRefusalOf(error);
  throw reason === undefined ? error : new GatehouseError('invalid_grant', actorRefusals[reason], { cause: error });
};

/** The account an `actor_token` proves (see `LinkProof`): only an access token can. */
const actorProof = (token: string | undefined, type: string | undefined): string | undefined => {
  if (token !== undefined && type !== accessTokenType)
    throw new GatehouseError('invalid_request', `actor_token_type must be ${accessTokenType}`);
  return token;
};

const rendered = (signIn: IdpTokenSignIn<IssuedTokens>, connectionId: string): TokenResponse => {
  switch (signIn.kind) {
    case 'issued':
      return { ...toTokenResponse(signIn.tokens), issued_token_type: accessTokenType };
    case 'merge_needed':
      throw new GatehouseError(
        'merge_needed',
        `The email address ${signIn.email} belongs to an existing account; to link this identity to it, repeat the request with that account's access token as actor_token`,
      );
    case 'refused':
      switch (signIn.reason) {
        case 'unknown_connection':
          throw new GatehouseError(
            'invalid_request',
            `subject_issuer ${JSON.stringify(connectionId)} is not a configured identity provider`,
          );
        case 'email_missing':
          throw new GatehouseError(
            'idp_email_missing',
            `The identity provider ${connectionId} returned no email address`,
          );
        default:
          throw new GatehouseError('identity_already_linked', 'This identity is already linked to another account');
      }
    case 'new_user':
      // A signup intent creates the user instead.
      throw new Error('unexpected new_user for a signup intent');
  }
};

/**
 * RFC 8693 token exchange of an identity provider's token (external → internal): `subject_token` is what a native
 * app got from the provider, `subject_issuer` names the tenant's connection. A linked identity signs in; a new one
 * with an unknown email creates the user; an email that belongs to another account is refused unless the request
 * proves that account with `actor_token`, which links the identity to it: an access token this same client obtained
 * from a recent sign-in of that account, accepted once (see `LinkProof`).
 */
export const tokenExchangeGrant = defineGrant(
  [
    'subject_token',
    'subject_token_type',
    'subject_issuer',
    'actor_token',
    'actor_token_type',
    'requested_token_type',
    'scope',
  ],
  async ({ core, tenant, client, grantType, params, ip }) => {
    const value = required(params, 'subject_token');
    const type = required(params, 'subject_token_type');
    const kind = presentedTokenKind(value, type);
    // RFC 8693 §2.2.2: an unsupported token type is `invalid_request`.
    if (kind === undefined)
      throw new GatehouseError('invalid_request', `subject_token_type ${JSON.stringify(type)} is not supported`);
    const connectionId = required(params, 'subject_issuer');
    const requested = params.requested_token_type;
    if (requested !== undefined && requested !== accessTokenType)
      throw new GatehouseError('invalid_request', `requested_token_type must be ${accessTokenType}`);
    const scope = core.tokens.scopes.parse(params.scope);
    core.tokens.scopes.requireAllowed(client, scope);
    const proof = actorProof(params.actor_token, params.actor_token_type);
    const signIn = await core.login
      .signInWithIdpToken({
        tenant,
        client,
        ip,
        connectionId,
        token: { kind, value },
        intent: proof === undefined ? { kind: 'signup' } : { kind: 'link', proof },
        issue: { scope, amr: ['external', connectionId], grantType },
      })
      .catch(asActorError);
    return rendered(signIn, connectionId);
  },
);
