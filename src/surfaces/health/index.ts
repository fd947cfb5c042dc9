import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../../core/index.js';

const Status = Type.Object({ status: Type.String() });
const Ready = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  unavailable: Type.Optional(Type.Array(Type.Literal('redis'))),
});
const NotReady = Type.Object({ status: Type.Literal('storage_unavailable') });

/**
 * `GET /healthz` (the process is up) and `GET /readyz`: 200 `{"status":"ok"}` when the database (and Redis, when
 * configured) answer; 200 `{"status":"degraded","unavailable":["redis"]}` when only Redis is away (sign-in works,
 * rate limits and caches are per instance meanwhile); 503 `{"status":"storage_unavailable"}` when the database does
 * not answer.
 */
export const healthSurface: FastifyPluginAsync<{ core: Core }> = async (app, { core }) => {
  app.get('/healthz', { schema: { tags: ['health'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], response: { 200: Ready, 503: NotReady } } },
    async (_request, reply) => {
      const { database, redis } = await core.readiness();
      if (!database) return reply.code(503).send({ status: 'storage_unavailable' });
      return redis === false ? { status: 'degraded', unavailable: ['redis'] } : { status: 'ok' };
    },
  );
};
