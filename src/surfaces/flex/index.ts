import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { GatehouseError } from '../../core/errors.js';
import type { Core } from '../../core/index.js';
import { tokenRoute } from './auth-token.js';
import { authWithIdpRoute } from './auth-with-idp.js';
import { createUserRoute } from './create-user.js';
import { createWithIdpRoute } from './create-with-idp.js';
import { useFormParser, useMarketplaceParsers } from './parsers.js';
import { sendAuthError, sendMarketplaceError } from './respond.js';
import { revokeRoute } from './revoke.js';
import { showCurrentUserRoute } from './show-current-user.js';

export interface FlexOptions {
  readonly core: Core;
}

const noRoute = (method: string, url: string) =>
  new GatehouseError('not_found', `no route ${method} ${url.split('?')[0] ?? ''}`);

/** The Auth API (`/v1/auth`): form-encoded requests, JSON responses, RFC 6749 errors. */
const authApi = async (app: FastifyInstance, core: Core) => {
  useFormParser(app);
  app.setErrorHandler(sendAuthError);
  app.setNotFoundHandler((request, reply) => sendAuthError(noRoute(request.method, request.url), request, reply));
  tokenRoute(app, core);
  authWithIdpRoute(app, core);
  revokeRoute(app, core);
};

/** The Marketplace API (`/v1/api`): Transit or JSON both ways, Flex's error envelope. */
const marketplaceApi = async (app: FastifyInstance, core: Core) => {
  useMarketplaceParsers(app);
  app.setErrorHandler(sendMarketplaceError);
  app.setNotFoundHandler((request, reply) =>
    sendMarketplaceError(noRoute(request.method, request.url), request, reply),
  );
  createUserRoute(app, core);
  createWithIdpRoute(app, core);
  showCurrentUserRoute(app, core);
};

/**
 * The Sharetribe Flex-compatible surface: an app built on `sharetribe-flex-sdk` works against Gatehouse by changing
 * only the SDK's `baseUrl`, `clientId` and `clientSecret`. The tenant (marketplace) comes from the client id, or on
 * the Marketplace API from the access token's client.
 */
export const flexSurface: FastifyPluginAsync<FlexOptions> = async (app, { core }) => {
  await app.register(async (scope) => authApi(scope, core), { prefix: '/v1/auth' });
  await app.register(async (scope) => marketplaceApi(scope, core), { prefix: '/v1/api' });
};
