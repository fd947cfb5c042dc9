import type { AuditLog } from '../audit/events.js';
import type { CoreDeps } from '../deps.js';
import { isGatehouseError } from '../errors.js';
import type { Tenant } from '../tenants/tenant.js';
import type { User } from '../users/user.js';

export interface SignInWithPasswordInput {
  readonly tenant: Tenant;
  readonly email: string;
  readonly password: string;
  /** For the audit trail. */
  readonly clientId?: string;
  readonly ip?: string;
}

export interface PasswordSignIn {
  readonly user: User;
  /** RFC 8176 `pwd`. */
  readonly amr: readonly string[];
  readonly authTime: Date;
}

/** The credential check sign-in needs: `core.users.verifyCredentials`, rate-limited per account and address. */
export interface CredentialCheck {
  verifyCredentials(
    tenantId: string,
    email: string,
    password: string,
    context?: { ip?: string; clientId?: string },
  ): Promise<User>;
}

/** Email + password sign-in (the hosted page and the `password` grant), audited either way. */
export const createSignInWithPassword =
  (deps: CoreDeps, users: CredentialCheck, audit: AuditLog) =>
  /**
   * Checks the credentials (argon2id, timing-equalised for unknown emails).
   * @throws GatehouseError `invalid_grant` (wrong email or password), `user_disabled`, `rate_limited`
   */
  async (input: SignInWithPasswordInput): Promise<PasswordSignIn> => {
    const context = {
      tenantId: input.tenant.id,
      ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
      ...(input.ip === undefined ? {} : { ip: input.ip }),
    };
    try {
      const user = await users.verifyCredentials(input.tenant.id, input.email, input.password, {
        ...(input.ip === undefined ? {} : { ip: input.ip }),
        ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
      });
      audit.record({
        type: 'login.succeeded',
        outcome: 'success',
        ...context,
        userId: user.id,
        actor: `user:${user.id}`,
        details: { method: 'password' },
      });
      return { user, amr: ['pwd'], authTime: deps.clock.now() };
    } catch (error) {
      if (isGatehouseError(error))
        audit.record({
          type: 'login.failed',
          outcome: 'failure',
          ...context,
          details: { method: 'password', code: error.code },
        });
      throw error;
    }
  };

export type SignInWithPassword = ReturnType<typeof createSignInWithPassword>;
