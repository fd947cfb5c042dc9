import type { FastifyReply, FastifyRequest } from 'fastify';
import { retryAfterOf } from '../../core/rate-limit/rate-limit.js';
import type { IssuedTokens } from '../../core/tokens/tokens.js';
import { toGatehouseError } from '../shared/errors.js';
import { logError } from '../shared/log-error.js';
import { authError, marketplaceError } from './errors.js';
import type { TokenResponse } from './schemas.js';
import {
  encodeWire,
  jsonContentType,
  negotiateFormat,
  transitContentType,
  type WireFormat,
  type WireValue,
} from './transit.js';

const contentTypes = {
  transit: transitContentType,
  'transit-verbose': transitContentType,
  json: jsonContentType,
} as const satisfies Record<WireFormat, string>;

/** Sends a Marketplace API body in the encoding the request asked for (`Accept`). */
export const sendWire = (request: FastifyRequest, reply: FastifyReply, status: number, value: WireValue) => {
  const xVerbose = request.headers['x-transit-verbose'];
  const format = negotiateFormat(request.headers.accept, Array.isArray(xVerbose) ? xVerbose[0] : xVerbose);
  return reply
    .code(status)
    .header('vary', 'Accept, X-Transit-Verbose')
    .type(`${contentTypes[format]};charset=UTF-8`)
    .send(encodeWire(value, format));
};

/** The Marketplace API's error handler: anything thrown, Fastify's own 4xx included, in Flex's envelope. */
export const sendMarketplaceError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
  const e = toGatehouseError(error);
  logError(request, e);
  const { status, body } = marketplaceError(e);
  const wait = retryAfterOf(e);
  if (wait !== undefined) reply.header('retry-after', String(wait));
  return sendWire(request, reply, status, body);
};

/** The Auth API's error handler: RFC 6749 §5.2 JSON. */
export const sendAuthError = (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
  const e = toGatehouseError(error);
  logError(request, e);
  const { status, body, headers } = authError(e);
  const wait = retryAfterOf(e);
  if (wait !== undefined) reply.header('retry-after', String(wait));
  return reply.code(status).headers(headers).header('pragma', 'no-cache').type(jsonContentType).send(body);
};

/** The Auth API's token response (RFC 6749 §5.1, with Flex's lower-case `bearer`). */
export const sendTokens = (reply: FastifyReply, issued: IssuedTokens) => {
  const body: TokenResponse = {
    access_token: issued.accessToken,
    token_type: 'bearer',
    expires_in: issued.expiresIn,
    scope: issued.scope,
    ...(issued.refreshToken === undefined ? {} : { refresh_token: issued.refreshToken }),
  };
  return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send(body);
};
