import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GatehouseError } from './errors.js';

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
