import type { ExternalProfile, PresentedToken } from '../../connectors/connector.js';
import type { LinkProof, VerifyLinkProofInput } from '../accounts/link-proof.js';
import type { AccountIntent, SignedInResolution } from '../accounts/outcomes.js';
import type { AccountResolver, WithinResolution } from '../accounts/resolve-account.js';
import type { AuditLog } from '../audit/events.js';
import type { Client } from '../clients/client.js';
import { GatehouseError, isGatehouseError } from '../errors.js';
import type { ConnectorCache } from '../strategies/upstream/connectors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { IssuedTokens, IssueTokens, SignInIssuanceInput } from '../tokens/issue-tokens.js';
import type { AccessTokenClaims } from '../tokens/verify-access-token.js';
import { type NewUserTokens, newUserClaims, newUserScope, type RedeemedNewUserToken } from './new-user-token.js';
import {
  type IdpTokenSignIn,
  refused,
  type SignInIntent,
  type SignInIssuance,
  type SignInRefusal,
} from './outcomes.js';
import type { SpentBinding, TokenBindingUseCases } from './token-binding.js';

export type { IdpTokenSignIn, SignInIntent, SignInIssuance, SignInRefusal } from './outcomes.js';

interface SignInBase {
  readonly tenant: Tenant;
  readonly intent: SignInIntent;
  /** The calling client, authenticated: the audit trail, the link proof's client, the tokens' audience. */
  readonly client?: Client;
  readonly ip?: string;
}

/** The identity to sign in with: a provider's token, verified by the connection's connector, or our new-user token. */
type IdentityProof =
  | {
      /** The connection id (`facebook`, `google`, `acme-okta`). */
      readonly connectionId: string;
      readonly token: PresentedToken;
    }
  | {
      /** A verified new-user token (its claims are the profile the provider verified); spent once. */
      readonly newUserToken: AccessTokenClaims;
    };

export type SignInWithIdpTokenInput = SignInBase & IdentityProof;

export interface SignInDeps {
  readonly connectors: ConnectorCache;
  readonly accounts: AccountResolver;
  readonly audit: AuditLog;
  readonly verifyLinkProof: (input: VerifyLinkProofInput) => Promise<LinkProof>;
  readonly issueTokens: IssueTokens;
  readonly issueOnSignIn: (base: SignInIssuanceInput) => WithinResolution<IssuedTokens>;
  readonly newUserTokens: NewUserTokens;
  /** The single use of a presented ID token: its nonce of ours, or the token itself (see `createTokenBinding`). */
  readonly binding: Pick<TokenBindingUseCases, 'take'>;
}

// `createOnly` refuses inside the resolution, so that what it wrote (a link, a login's bookkeeping) rolls back.
class Refused extends Error {
  constructor(readonly reason: SignInRefusal) {
    super(reason);
  }
}

const createOnlyRefusal = (kind: SignedInResolution['kind']): SignInRefusal | undefined =>
  kind === 'created' ? undefined : kind === 'logged_in' ? 'identity_taken' : 'email_taken';

/**
 * Creates `signInWithIdpToken`, the one token-in sign-in (every surface that takes a provider's token, or a new-user
 * token, and answers with ours): checks the link proof, has the connection's connector
 * fully validate the token (or reads a new-user token), resolves the account and, when `issue` is given, issues the
 * tokens in the same transaction, so that no account is created or linked without them. Surfaces pass no callback.
 */
export const createSignInWithIdpToken = (deps: SignInDeps) => {
  function signInWithIdpToken(
    input: SignInWithIdpTokenInput & { readonly client: Client; readonly issue: SignInIssuance },
  ): Promise<IdpTokenSignIn<IssuedTokens>>;
  function signInWithIdpToken(input: SignInWithIdpTokenInput): Promise<IdpTokenSignIn<undefined>>;
  /**
   * @throws GatehouseError `idp_token_invalid`, `idp_wrong_audience`, `unsupported_token_type`, `idp_unavailable`
   *   (UpstreamError), `invalid_token` (not a new-user token, or one already used), `invalid_grant` with `linkRefused`
   *   (the link proof), `user_disabled`, `mfa_required`, `conflict`, and what `accounts.resolve` throws.
   */
  async function signInWithIdpToken(
    input: SignInWithIdpTokenInput & { readonly issue?: SignInIssuance },
  ): Promise<IdpTokenSignIn> {
    const { client, ip } = input;
    const at = { ...(client === undefined ? {} : { clientId: client.clientId }), ...(ip === undefined ? {} : { ip }) };
    const accountIntent = await toAccountIntent(deps, input);
    // A presented ID token is spent only by a sign-in that issues something (an app may sign up with a token, then
    // sign in with the same one); one that issues nothing gives it back.
    const verified = await verifiedIdentity(deps, input, at, input.issue !== undefined);
    if (verified === undefined) return refused('unknown_connection', undefined);
    const { profile, connectionTrusted, spend, spent } = verified;
    const outcome = await resolved(deps, input, accountIntent, profile, connectionTrusted, spend).catch(
      async (error: unknown) => {
        await release(spent);
        throw error;
      },
    );
    if (!issuedSomething(outcome)) await release(spent);
    return outcome;
  }
  return signInWithIdpToken;
};

/** Whether a sign-in handed out a credential: tokens, or a new-user token. */
const issuedSomething = (outcome: IdpTokenSignIn): boolean =>
  (outcome.kind === 'issued' && outcome.tokens !== undefined) ||
  (outcome.kind === 'new_user' && outcome.newUserToken !== undefined);

const release = async (spent: SpentBinding | undefined): Promise<void> => {
  await spent?.release().catch(() => undefined);
};

/** The account decision over a verified profile, and what it issues. */
const resolved = async (
  deps: SignInDeps,
  input: SignInWithIdpTokenInput & { readonly issue?: SignInIssuance },
  accountIntent: AccountIntent,
  profile: ExternalProfile,
  connectionTrusted: boolean,
  spend: RedeemedNewUserToken['spend'] | undefined,
): Promise<IdpTokenSignIn> => {
  const { tenant, intent, client, ip } = input;

  const base: SignInIssuanceInput | undefined =
    input.issue === undefined || client === undefined
      ? undefined
      : {
          tenant,
          client,
          scope: input.issue.scope,
          amr: input.issue.amr ?? ['external', profile.idp],
          grantType: input.issue.grantType,
          ...(ip === undefined ? {} : { ip }),
        };
  const createOnly = intent.kind === 'signup' && intent.createOnly === true;
  const within = workWithin(deps, { base, createOnly, spend });
  try {
    const { resolution, result } = await deps.accounts.resolve(
      { tenant, profile, intent: accountIntent, connectionTrusted },
      within,
    );
    switch (resolution.kind) {
      case 'logged_in':
      case 'created':
      case 'linked': {
        // A create-only sign-up's work refused (and undid) anything but a creation.
        const { user, identity } = resolution;
        return { kind: 'issued', account: resolution.kind, user, identity, profile, tokens: result };
      }
      case 'new_user_required':
        if (createOnly) throw new GatehouseError('server_error', 'a sign-up resolved to new_user_required');
        return {
          kind: 'new_user',
          profile,
          newUserToken:
            input.issue?.newUserToken === true
              ? await newUserToken(deps, base, profile, input.issue.newUserTokenClaims)
              : undefined,
        };
      case 'merge_needed':
        return createOnly
          ? refused('email_taken', profile)
          : { kind: 'merge_needed', email: resolution.email, profile };
      case 'email_missing':
        return refused('email_missing', profile);
      case 'already_linked_elsewhere':
        return refused(createOnly ? 'identity_taken' : 'already_linked_elsewhere', profile);
    }
  } catch (error) {
    if (error instanceof Refused) return refused(error.reason, profile);
    throw error;
  }
};

export type SignInWithIdpToken = ReturnType<typeof createSignInWithIdpToken>;

/** A new-user token: the verified profile of someone with no account yet, which can only create that account. */
const newUserToken = (
  deps: SignInDeps,
  base: SignInIssuanceInput | undefined,
  profile: ExternalProfile,
  dialectClaims: Readonly<Record<string, unknown>> | undefined,
) =>
  base === undefined
    ? undefined
    : deps.issueTokens({
        tenant: base.tenant,
        client: base.client,
        userId: undefined,
        scope: [newUserScope],
        extraClaims: { ...dialectClaims, ...newUserClaims(profile) },
        refreshToken: false,
        ...(base.grantType === undefined ? {} : { grantType: base.grantType }),
        ...(base.ip === undefined ? {} : { ip: base.ip }),
      });

const toAccountIntent = async (deps: SignInDeps, input: SignInWithIdpTokenInput): Promise<AccountIntent> => {
  const { intent, tenant, client, ip } = input;
  if (intent.kind !== 'link') {
    return intent.kind === 'login'
      ? intent
      : { kind: 'signup', ...(intent.profile === undefined ? {} : { profile: intent.profile }) };
  }
  if (client === undefined) throw new TypeError('a link needs the client the proof was issued to');
  const proof = await deps.verifyLinkProof({
    tenant,
    client,
    token: intent.proof,
    ...(ip === undefined ? {} : { ip }),
  });
  return { kind: 'link', proof };
};

interface VerifiedIdentity {
  readonly profile: ExternalProfile;
  readonly connectionTrusted: boolean;
  /** The new-user token's spending, to run with the account's creation. */
  readonly spend: RedeemedNewUserToken['spend'] | undefined;
  /** The presented token's single use, spent before the account decision. */
  readonly spent: SpentBinding | undefined;
}

/** The verified profile, or undefined for a connection the tenant does not have. */
const verifiedIdentity = async (
  deps: SignInDeps,
  input: SignInWithIdpTokenInput,
  at: { clientId?: string; ip?: string },
  spendToken: boolean,
): Promise<VerifiedIdentity | undefined> => {
  const { tenant } = input;
  if ('newUserToken' in input) {
    const { profile, spend } = deps.newUserTokens.redeem(tenant, input.newUserToken);
    const connectionTrusted = await deps.connectors.trusted(tenant.id, profile.idp).catch(() => false);
    return { profile, connectionTrusted, spend, spent: undefined };
  }
  const connector = await deps.connectors.get(tenant.id, input.connectionId).catch((error: unknown) => {
    if (isGatehouseError(error) && error.code === 'not_found') return undefined;
    throw error;
  });
  if (connector === undefined) return undefined;
  let profile: ExternalProfile;
  let spent: SpentBinding | undefined;
  try {
    profile = await connector.verifyToken(input.token);
    spent = await deps.binding.take({ tenant, client: input.client, binding: profile.binding, spend: spendToken });
  } catch (error) {
    if (error instanceof GatehouseError)
      deps.audit.record({
        type: 'login.failed',
        outcome: 'failure',
        tenantId: tenant.id,
        idp: input.connectionId,
        ...at,
        details: { code: error.code },
      });
    throw error;
  }
  const connectionTrusted = await deps.connectors.trusted(tenant.id, input.connectionId).catch(async (error) => {
    await release(spent);
    throw error;
  });
  return { profile, connectionTrusted, spend: undefined, spent };
};

/**
 * The work committed with a signed-in resolution. A plain token-in sign-in that issues tokens takes
 * `issueOnSignIn`'s planned work, which a returning user's sign-in writes in the statement that finds the user (the
 * hot path: one round trip); a new-user token's spending and a create-only refusal run in the resolution's
 * transaction, before the tokens.
 */
const workWithin = (
  deps: SignInDeps,
  work: {
    base: SignInIssuanceInput | undefined;
    createOnly: boolean;
    spend: RedeemedNewUserToken['spend'] | undefined;
  },
): WithinResolution<IssuedTokens | undefined> | undefined => {
  const { base, createOnly, spend } = work;
  if (!createOnly && spend === undefined) return base === undefined ? undefined : deps.issueOnSignIn(base);
  return async (db, resolution) => {
    const refusal = createOnly ? createOnlyRefusal(resolution.kind) : undefined;
    if (refusal !== undefined) throw new Refused(refusal);
    if (spend !== undefined) await spend(db);
    if (base === undefined) return undefined;
    const { user, identity } = resolution;
    return deps.issueTokens({ ...base, userId: user.id, user, identityId: identity.id }, db);
  };
};
