import type { ChallengePackage, MechanismView } from '../../core/flows/engine.js';
import type { LoginGrant } from '../../core/flows/kinds/login.js';
import type { Tenant } from '../../core/tenants/tenant.js';
import { shownEmail, type User } from '../../core/users/user.js';

/** Each strategy a step can offer, by the Security API's mechanism name (`Name`). */
export const mechanismNames = {
  password: 'UP',
  email_code: 'EMAIL',
  totp: 'OATH',
  recovery_code: 'RECOVERY',
} as const satisfies Record<MechanismView['name'], string>;

/** The prompts of each mechanism, in the vendor's words where the seed shows them. */
const prompts = (mechanism: MechanismView): { chosen: string; select: string } => {
  switch (mechanism.name) {
    case 'password':
      return { chosen: 'Enter Password', select: 'Password' };
    case 'email_code':
      return {
        chosen: `Click the link in the email sent to xxxx@${mechanism.partialAddress ?? ''}`,
        select: `Email... @${mechanism.partialAddress ?? ''}`,
      };
    case 'totp':
      return { chosen: 'Enter the code from your authenticator app', select: 'Authenticator app (OATH OTP)' };
    case 'recovery_code':
      return { chosen: 'Enter one of your recovery codes', select: 'Recovery code' };
  }
};

/** A package as `Summary: "NewPackage"` (seed 004), keys in the vendor's order. */
export const newPackageResult = (pkg: ChallengePackage) => ({
  ClientHints: { PersistDefault: false, AllowPersist: false, AllowForgotPassword: false },
  Version: '1.0',
  SessionId: pkg.sessionId,
  Challenges: pkg.challenges.map((challenge) => ({
    Mechanisms: challenge.mechanisms.map((mechanism) => {
      const { chosen, select } = prompts(mechanism);
      return {
        AnswerType: mechanism.answerType === 'oob' ? 'StartOob' : 'Text',
        Name: mechanismNames[mechanism.name],
        PromptMechChosen: chosen,
        PromptSelectMech: select,
        ...(mechanism.partialAddress === undefined ? {} : { PartialAddress: mechanism.partialAddress }),
        MechanismId: mechanism.id,
      };
    }),
  })),
  Summary: 'NewPackage',
  TenantId: pkg.tenantId,
});

const displayNameOf = (user: User): string =>
  user.displayName ??
  ([user.firstName, user.lastName].filter((part) => part !== null).join(' ') || (shownEmail(user) ?? user.id));

/**
 * `Summary: "LoginSuccess"` (seed 004), keys in the vendor's order. `Auth` and `Token` are the same access token.
 * `UserDirectory`/`SourceDsType`: `FDS` (federated) after an IdP sign-in, `CDS` (cloud directory) after a password.
 */
export const loginSuccessResult = (
  tenant: Tenant,
  podFqdn: string,
  user: User,
  grant: LoginGrant,
  firstFactor: 'upstream' | 'password',
) => {
  const directory = firstFactor === 'upstream' ? 'FDS' : 'CDS';
  return {
    AuthLevel: 'Normal',
    DisplayName: displayNameOf(user),
    Auth: grant.accessToken,
    Token: grant.accessToken,
    UserId: user.id,
    EmailAddress: shownEmail(user),
    UserDirectory: directory,
    PodFqdn: podFqdn,
    User: shownEmail(user) ?? user.id,
    CustomerID: tenant.id,
    SystemID: tenant.id,
    SourceDsType: directory,
    Summary: 'LoginSuccess',
  };
};
