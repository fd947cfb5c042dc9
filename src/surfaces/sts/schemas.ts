import { type Static, Type } from '@sinclair/typebox';
import { tokenRequestSchema } from '../shared/token/grants/parameters.js';
import { stsGrantSet } from './grants.js';

const Param = Type.String({ maxLength: 4096 });

/** `POST /connect/token`: the parameters of the grants it serves (the standard ones, the provider grants' `assertion` and `ff_token`). */
export const StsTokenRequest = tokenRequestSchema(stsGrantSet.parameters);

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
