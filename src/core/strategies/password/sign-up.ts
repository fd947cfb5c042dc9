import type { AuditLog } from '../../audit/events.js';
import { GatehouseError, isGatehouseError } from '../../errors.js';
import { requireSignupAllowed } from '../../flows/kinds/registration.js';
import type { RateLimit } from '../../rate-limit/rate-limit.js';
import { spendMailLimits } from '../../rate-limit/self-service.js';
import type { Tenant } from '../../tenants/tenant.js';
import { isEmailShaped, normaliseEmail } from '../../users/email.js';
import type { User } from '../../users/user.js';
import type { UserUseCases } from '../../users/users.js';
import type { MailQueue } from '../email-code/mail-queue.js';
import type { MailedCodes } from '../email-code/mailed-code.js';
import { signupTakenMail, verificationMail } from '../email-code/self-service-mails.js';
import { requireAcceptablePassword } from './rules.js';

export interface RegisterWithPasswordInput {
  readonly tenant: Tenant;
  readonly email: string;
  readonly password: string;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly displayName?: string | undefined;
  readonly profile?: Readonly<Record<string, unknown>> | undefined;
  /** Who asks, for the audit trail: `client:{id}` or `anonymous`. */
  readonly actor: string;
  readonly clientId?: string | undefined;
  readonly ip?: string | undefined;
}

/** A password registration: the account was created, or the address is another account's (nothing written). */
export type PasswordRegistration =
  | { readonly kind: 'created'; readonly user: User }
  | { readonly kind: 'taken'; readonly owner: User | undefined };

/**
 * The one password registration of every surface (the hosted sign-up page, its JSON API, and every dialect's
 * sign-up with a password): the tenant's `signup` policy must allow passwords, the password must meet the rules
 * (`rules.ts`), and the account starts with its address unverified. A taken address costs the same argon2 hash.
 * Surfaces decide what a taken address answers: the self-service API never says.
 * @throws GatehouseError `access_denied` (the policy), `invalid_request` (the password rules, the address, the profile)
 */
export const createRegisterWithPassword =
  (users: UserUseCases, audit: AuditLog) =>
  async (input: RegisterWithPasswordInput): Promise<PasswordRegistration> => {
    const { tenant } = input;
    requireSignupAllowed(tenant, 'password');
    requireAcceptablePassword(input.password);
    try {
      const user = await users.create(tenant.id, {
        email: input.email,
        password: input.password,
        emailVerified: false,
        ...(input.firstName === undefined ? {} : { firstName: input.firstName }),
        ...(input.lastName === undefined ? {} : { lastName: input.lastName }),
        ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
        ...(input.profile === undefined ? {} : { profile: input.profile }),
      });
      audit.record({
        type: 'user.created',
        outcome: 'success',
        tenantId: tenant.id,
        actor: input.actor,
        userId: user.id,
        ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { method: 'password' },
      });
      return { kind: 'created', user };
    } catch (error) {
      if (!isGatehouseError(error) || error.code !== 'email_taken') throw error;
      audit.record({
        type: 'user.signup_refused',
        outcome: 'failure',
        tenantId: tenant.id,
        actor: input.actor,
        ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        details: { method: 'password', code: 'email_taken' },
      });
      return { kind: 'taken', owner: await users.findByEmail(tenant.id, input.email) };
    }
  };

export type RegisterWithPassword = ReturnType<typeof createRegisterWithPassword>;

/** Where a mailed link goes, per flow: pages the browser surface serves (the core knows no URL of its own). */
export interface SelfServiceLinks {
  readonly verification: (tenantId: string, token: string) => string;
  readonly recovery: (tenantId: string, token: string) => string;
}

export interface SelfServiceSignUpInput {
  readonly tenant: Tenant;
  readonly email: string;
  readonly password: string;
  readonly firstName?: string | undefined;
  readonly lastName?: string | undefined;
  readonly displayName?: string | undefined;
  readonly locale?: string | undefined;
  readonly ip?: string | undefined;
}

/**
 * The self-service sign-up with a password. Its answer is the same whether or not the address had an account: a new
 * address gets its account (unverified) and a verification code and link; a taken one gets the owner a note that
 * someone tried, and nothing changes. Both hash the password and write one mailed-code record; mail is sent after the
 * answer.
 * @returns the normalised address, where the person is told to look.
 * @throws GatehouseError `access_denied` (policy), `invalid_request` (address or password rules), `rate_limited`
 */
export const createSelfServiceSignUp =
  (parts: {
    register: RegisterWithPassword;
    codes: MailedCodes;
    mail: MailQueue;
    links: SelfServiceLinks;
    rateLimit: RateLimit;
  }) =>
  async (input: SelfServiceSignUpInput): Promise<{ email: string }> => {
    const { tenant } = input;
    requireSignupAllowed(tenant, 'password');
    const email = normaliseEmail(input.email);
    if (!isEmailShaped(email)) throw new GatehouseError('invalid_request', 'email: not an email address');
    requireAcceptablePassword(input.password);
    await spendMailLimits(parts.rateLimit, { tenantId: tenant.id, kind: 'registration', email, ip: input.ip });
    const registration = await parts.register({
      tenant,
      email,
      password: input.password,
      firstName: input.firstName,
      lastName: input.lastName,
      displayName: input.displayName,
      actor: 'anonymous',
      ip: input.ip,
    });
    const context = { to: email, tenantName: tenant.name, locale: input.locale };
    if (registration.kind === 'created') {
      const issued = await parts.codes.issue({
        tenantId: tenant.id,
        kind: 'verification',
        email,
        userId: registration.user.id,
      });
      parts.mail.queue(verificationMail(context, issued.code, parts.links.verification(tenant.id, issued.token)));
    } else {
      await parts.codes.issue({ tenantId: tenant.id, kind: 'verification', email, userId: null, dead: true });
      parts.mail.queue(signupTakenMail(context));
    }
    return { email };
  };
