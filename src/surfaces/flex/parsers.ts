import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import { decodeTransit, jsonContentType, transitContentType } from './transit.js';

const formContentType = 'application/x-www-form-urlencoded';

/**
 * Reads a form body (RFC 6749 §3.2): a parameter sent twice is refused, one sent without a value counts as omitted.
 * @throws GatehouseError `invalid_request`
 */
export const parseForm = (text: string): Record<string, string> => {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(params, name))
      throw new GatehouseError('invalid_request', `parameter ${JSON.stringify(name)} is repeated`);
    if (value !== '') Object.defineProperty(params, name, { value, enumerable: true, writable: true });
  }
  return params;
};

/** The Auth API accepts form bodies only, as the SDK sends them. */
export const useFormParser = (app: FastifyInstance): void => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(formContentType, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
};

/** The Marketplace API accepts Transit JSON (what the SDK sends) and plain JSON. */
export const useMarketplaceParsers = (app: FastifyInstance): void => {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(jsonContentType, { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser(transitContentType, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, decodeTransit(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
};
