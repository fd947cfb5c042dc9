import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';

const Status = Type.Object({ status: Type.String() });

/** `GET /healthz` (the process is up) and `GET /readyz` (the store answers; 503 otherwise). */
export const healthSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: Status, 503: Status } } },
    async (_request, reply) =>
      (await core.ping()) ? { status: 'ok' } : reply.code(503).send({ status: 'storage_unavailable' }),
  );
};
