import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GatehouseError } from './errors.js';

// TypeBox checks `format` only against registered formats (an unregistered one fails every value); Fastify's ajv
// knows `uri` through ajv-formats. Registered here so every write path agrees with the HTTP layer.
if (!FormatRegistry.Has('uri')) FormatRegistry.Set('uri', (value) => URL.canParse(value));

/**
 * Validates `input` against a TypeBox schema (the same schemas validate every write path: admin API, CLI, import).
 * @throws GatehouseError `invalid_request` naming the first wrong field.
 */
export const parseInput = <S extends TSchema>(schema: S, input: unknown, what: string): Static<S> => {
  const first = Value.Errors(schema, input).First();
  if (first === undefined) return input as Static<S>;
  const path = first.path === '' ? what : `${what}${first.path.replaceAll('/', '.')}`;
  throw new GatehouseError('invalid_request', `${path}: ${first.message}`, { details: { path: first.path } });
};
