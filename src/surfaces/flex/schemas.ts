import { type Static, Type } from '@sinclair/typebox';

// Wire names are Flex's own: snake_case on the Auth API (form-encoded), camelCase on the Marketplace API.

const Param = Type.String({ minLength: 1, maxLength: 4096 });

/** `POST /v1/auth/token`. RFC 6749 §3.2: unknown parameters are ignored. */
export const TokenRequest = Type.Object({
  grant_type: Type.String({ minLength: 1, maxLength: 100 }),
  client_id: Type.String({ minLength: 1, maxLength: 128 }),
  client_secret: Type.Optional(Param),
  scope: Type.Optional(Type.String({ maxLength: 1000 })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  refresh_token: Type.Optional(Param),
});
export type TokenRequest = Static<typeof TokenRequest>;

/** `POST /v1/auth/auth_with_idp`: no `grant_type`, no `scope`. */
export const AuthWithIdpRequest = Type.Object({
  client_id: Type.String({ minLength: 1, maxLength: 128 }),
  client_secret: Param,
  idp_id: Type.String({ minLength: 1, maxLength: 63 }),
  idp_client_id: Type.String({ minLength: 1, maxLength: 500 }),
  idp_token: Type.String({ minLength: 1, maxLength: 16384 }),
});
export type AuthWithIdpRequest = Static<typeof AuthWithIdpRequest>;

/** `POST /v1/auth/revoke` (with the access token as a Bearer): the refresh token to revoke. */
export const RevokeRequest = Type.Object({ token: Param });
export type RevokeRequest = Static<typeof RevokeRequest>;

/** The Auth API's token response. */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
});
export type TokenResponse = Static<typeof TokenResponse>;

export const OAuthError = Type.Object({ error: Type.String(), error_description: Type.Optional(Type.String()) });

const ExtendedData = Type.Record(Type.String({ maxLength: 200 }), Type.Unknown());

/** The profile fields a sign-up may set, as Flex names them. */
const profileFields = {
  firstName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  lastName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  bio: Type.Optional(Type.String({ maxLength: 5000 })),
  publicData: Type.Optional(ExtendedData),
  protectedData: Type.Optional(ExtendedData),
  privateData: Type.Optional(ExtendedData),
};

/** `POST /v1/api/current_user/create_with_idp`: names and email default from the IdP's claims. */
export const CreateWithIdpBody = Type.Object(
  {
    idpId: Type.String({ minLength: 1, maxLength: 63 }),
    idpClientId: Type.String({ minLength: 1, maxLength: 500 }),
    idpToken: Type.String({ minLength: 1, maxLength: 16384 }),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    ...profileFields,
  },
  { additionalProperties: false },
);
export type CreateWithIdpBody = Static<typeof CreateWithIdpBody>;

/** `POST /v1/api/current_user/create`: email and password sign-up. */
export const CreateUserBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320 }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    ...profileFields,
    firstName: Type.String({ minLength: 1, maxLength: 200 }),
    lastName: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

/** `?expand=true` returns the resource's attributes, not only its id and type. */
export const ExpandQuery = Type.Object(
  { expand: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
  { additionalProperties: false },
);
export type ExpandQuery = Static<typeof ExpandQuery>;
