import { type TObject, type TString, Type } from '@sinclair/typebox';

// Form values are strings; a parameter sent twice arrives as an array and fails the schema (RFC 6749 §3.2: request
// parameters must not be included more than once). Parameters no grant reads are ignored, as §3.2 requires.
const Param = Type.String({ maxLength: 4096 });
const Token = Type.String({ minLength: 1, maxLength: 8192 });

/** Every parameter a grant of the registry may read, in RFC spelling, with its wire shape. */
export const grantParameters = {
  // RFC 6749 §4.1.3 with RFC 7636 §4.5.
  code: Token,
  redirect_uri: Param,
  code_verifier: Type.String({ pattern: '^[A-Za-z0-9._~-]{43,128}$' }),
  // RFC 6749 §6, §3.3.
  refresh_token: Token,
  scope: Param,
  // RFC 6749 §4.3.2.
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  // RFC 8693 §2.1 (token exchange).
  subject_token: Token,
  subject_token_type: Param,
  subject_issuer: Param,
  actor_token: Token,
  actor_token_type: Param,
  requested_token_type: Param,
  // The STS provider grants: the provider's token, and the proof of the account to link it to.
  assertion: Token,
  ff_token: Token,
} as const satisfies Record<string, TString>;

/** A parameter a grant may read. */
export type GrantParameter = keyof typeof grantParameters;

/**
 * The body schema of a token endpoint serving grants that read `parameters`: `grant_type`, the client's credentials
 * (RFC 6749 §2.3.1), and each parameter once; anything else is ignored.
 */
export const tokenRequestSchema = (parameters: Iterable<GrantParameter>): TObject =>
  Type.Object(
    {
      grant_type: Type.String({ minLength: 1, maxLength: 200 }),
      ...Object.fromEntries([...new Set(parameters)].map((name) => [name, Type.Optional(grantParameters[name])])),
      client_id: Type.Optional(Param),
      client_secret: Type.Optional(Param),
    },
    { additionalProperties: Param },
  );

/** The form of a token request, as validated by {@link tokenRequestSchema}. */
export interface TokenRequestBody {
  readonly grant_type: string;
  readonly client_id?: string;
  readonly client_secret?: string;
  readonly [parameter: string]: string | undefined;
}
