import { Type } from '@sinclair/typebox';

// Wire names exactly as the Security API spells them. Unknown fields are allowed: CyberArk clients send more
// (`AssociatedEntityType`, `MfaRequestor`, …) than Gatehouse reads.
const Text = (maxLength: number) => Type.String({ maxLength });

export const StartSocialAuthenticationBody = Type.Object({
  IdpName: Type.String({ minLength: 1, maxLength: 100 }),
  PostExtIdpAuthCallbackUrl: Type.String({ minLength: 1, maxLength: 2000 }),
  TenantId: Type.Optional(Text(100)),
});

export const ResumeFromExtIdpAuthQuery = Type.Object({
  ExtIdpAuthChallengeState: Type.Optional(Text(200)),
  username: Type.Optional(Text(320)),
  customerId: Type.Optional(Text(100)),
});

export const AdvanceAuthenticationBody = Type.Object({
  TenantId: Type.Optional(Text(100)),
  SessionId: Type.String({ minLength: 1, maxLength: 200 }),
  MechanismId: Type.String({ minLength: 1, maxLength: 200 }),
  Action: Type.String({ minLength: 1, maxLength: 40 }),
  Answer: Type.Optional(Text(1024)),
});

export const StartAuthenticationBody = Type.Object({
  TenantId: Type.Optional(Text(100)),
  User: Type.String({ minLength: 1, maxLength: 320 }),
  Version: Type.Optional(Text(20)),
  /** Gatehouse: the client the tokens are for, when the tenant has more than one. */
  ClientId: Type.Optional(Text(200)),
});

export const CleanupAuthenticationBody = Type.Object({
  TenantId: Type.Optional(Text(100)),
  SessionId: Type.String({ minLength: 1, maxLength: 200 }),
});

/** A string field of an optional body (ResumeFromExtIdpAuth and Logout may come without one). */
export const optionalField = (body: unknown, name: string): string | undefined => {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
};
