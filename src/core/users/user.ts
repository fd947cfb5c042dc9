import { type Static, Type } from '@sinclair/typebox';
import type { UserProfile } from '../../store/schema.js';

export const UserInput = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024, description: 'Hashed with argon2id.' })),
    passwordHash: Type.Optional(Type.String({ pattern: '^\\$argon2id\\$', description: 'An argon2id hash (import).' })),
    emailVerified: Type.Optional(Type.Boolean()),
    firstName: Type.Optional(Type.String({ maxLength: 200 })),
    lastName: Type.Optional(Type.String({ maxLength: 200 })),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    profile: Type.Optional(
      Type.Object(
        {
          bio: Type.Optional(Type.String({ maxLength: 5000 })),
          publicData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          protectedData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          privateData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          picture: Type.Optional(Type.String({ maxLength: 2000 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type UserInput = Static<typeof UserInput>;

/**
 * The address shown for a user (to the user, and as the `email` claim with `email_verified: false`): its email, else
 * the unverified address its sign-up gave that another account already has (`profile.pendingEmail`). The two cases
 * look alike on purpose: a sign-up must not tell whether an address it was never shown to own has an account.
 */
export const shownEmail = (user: { readonly email: string | null; readonly profile: UserProfile }): string | null =>
  user.email ?? user.profile.pendingEmail ?? null;

export interface User {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly hasPassword: boolean;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly displayName: string | null;
  readonly profile: UserProfile;
  readonly status: 'active' | 'disabled';
  /** A password sign-in answers `password_reset_required` until the password is set again. */
  readonly passwordResetRequired: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Identity {
  readonly id: string;
  readonly userId: string;
  readonly idp: string;
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | null;
}
