import { type Static, Type } from '@sinclair/typebox';
import { TokenRequest } from '../oauth/schemas.js';

const Param = Type.String({ maxLength: 4096 });
const Token = Type.String({ minLength: 1, maxLength: 8192 });

/** `POST /connect/token`: the standard grants' parameters plus the provider grants' `assertion` and `ff_token`. */
export const StsTokenRequest = Type.Composite(
  [
    TokenRequest,
    Type.Object({
      assertion: Type.Optional(Token),
      ff_token: Type.Optional(Token),
    }),
  ],
  { additionalProperties: Param },
);
export type StsTokenRequest = Static<typeof StsTokenRequest>;

/** `POST /connect/accounts`: what the client adds to the `newuser` token's verified profile. */
export const CreateAccountRequest = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    firstName: Type.Optional(Type.String({ maxLength: 200 })),
    lastName: Type.Optional(Type.String({ maxLength: 200 })),
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    scope: Type.Optional(Param),
  },
  { additionalProperties: false },
);
export type CreateAccountRequest = Static<typeof CreateAccountRequest>;
