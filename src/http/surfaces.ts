import type { FastifyInstance } from 'fastify';
import { demoIdpApps } from '../core/demo/index.js';
import { emulatorPlugin } from '../emulator/index.js';
import { accountSurface } from '../surfaces/account/index.js';
import { adminSurface } from '../surfaces/admin/index.js';
import { browserSurface, upstreamLoginStarter } from '../surfaces/browser/index.js';
import { securityApiReturn, securitySurface } from '../surfaces/cyberark/index.js';
import { flexSurface } from '../surfaces/flex/index.js';
import { authorizationServerMetadataSurface, oauthSurface } from '../surfaces/oauth/index.js';
import { selfServiceSurface } from '../surfaces/self-service/index.js';
import type { DocumentPublisher } from '../surfaces/shared/published-documents.js';
import { stsSurface } from '../surfaces/sts/index.js';
import type { ServerOptions } from './options.js';

/**
 * Registers every wire surface, one line each. A new wire format is one folder in `surfaces/` and one line here.
 */
export const registerSurfaces = async (
  app: FastifyInstance,
  options: ServerOptions,
  documents: DocumentPublisher,
): Promise<void> => {
  const { core, adminToken } = options;
  await app.register(adminSurface, { prefix: '/admin', core, ...(adminToken === undefined ? {} : { adminToken }) });
  await app.register(flexSurface, { core });
  await app.register(oauthSurface, {
    prefix: '/t/:tenant',
    core,
    upstreamLogin: upstreamLoginStarter(core),
    documents,
  });
  await app.register(authorizationServerMetadataSurface, { core });
  await app.register(securitySurface, { core });
  await app.register(browserSurface, { core, idpReturns: { api: securityApiReturn } });
  await app.register(stsSurface, { prefix: '/connect', core });
  await app.register(accountSurface, { prefix: '/t/:tenant/account', core });
  await app.register(selfServiceSurface, { prefix: '/t/:tenant/self-service', core });
  // Development and test only (compose decides): the demo tenant's connections point here.
  if (options.emulator === true) {
    await app.register(emulatorPlugin, {
      prefix: '/_emulator',
      baseUrl: `${options.publicUrl}/_emulator`,
      apps: demoIdpApps,
    });
  }
};
