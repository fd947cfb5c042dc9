import { type Static, Type } from '@sinclair/typebox';

// Wire shapes in RFC spelling. Form values are strings; a parameter sent twice arrives as an array and fails here
// (RFC 6749 §3.1 and §3.2: parameters must not be included more than once).
const Param = Type.String({ maxLength: 4096 });
const Token = Type.String({ minLength: 1, maxLength: 8192 });

/** RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; client credentials per §2.3.1. Extension grants read other parameters. */
export const TokenRequest = Type.Object(
  {
    grant_type: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.Optional(Token),
    redirect_uri: Type.Optional(Param),
    code_verifier: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]{43,128}$' })),
    refresh_token: Type.Optional(Token),
    scope: Type.Optional(Param),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    client_id: Type.Optional(Param),
    client_secret: Type.Optional(Param),
    // RFC 8693 §2.1 (token exchange).
    subject_token: Type.Optional(Token),
    subject_token_type: Type.Optional(Param),
    subject_issuer: Type.Optional(Param),
    actor_token: Type.Optional(Token),
    actor_token_type: Type.Optional(Param),
    requested_token_type: Type.Optional(Param),
  },
  { additionalProperties: Param },
);
export type TokenRequest = Static<typeof TokenRequest>;

/** RFC 7009 §2.1 and RFC 7662 §2.1. */
export const TokenOperationRequest = Type.Object(
  {
    token: Token,
    token_type_hint: Type.Optional(Param),
    client_id: Type.Optional(Param),
    client_secret: Type.Optional(Param),
  },
  { additionalProperties: Param },
);
export type TokenOperationRequest = Static<typeof TokenOperationRequest>;

/** OIDC RP-Initiated Logout 1.0 §2. */
export const EndSessionRequest = Type.Object(
  {
    id_token_hint: Type.Optional(Token),
    post_logout_redirect_uri: Type.Optional(Param),
    state: Type.Optional(Param),
    client_id: Type.Optional(Param),
    /** Gatehouse's confirmation page posts this back (derived from the session cookie). */
    confirm: Type.Optional(Param),
  },
  { additionalProperties: Param },
);
export type EndSessionRequest = Static<typeof EndSessionRequest>;
