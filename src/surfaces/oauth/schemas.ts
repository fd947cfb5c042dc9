import { type Static, Type } from '@sinclair/typebox';

// Wire shapes in RFC spelling. Form values are strings; a parameter sent twice arrives as an array and fails here
// (RFC 6749 §3.1 and §3.2: parameters must not be included more than once). The token endpoint's body is made from
// the grant registry (`grants/parameters.ts`).
const Param = Type.String({ maxLength: 4096 });
const Token = Type.String({ minLength: 1, maxLength: 8192 });

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
