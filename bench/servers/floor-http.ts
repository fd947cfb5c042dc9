/**
 * The HTTP floor: bare Fastify with a hello-world GET and a urlencoded POST (the shape of a token request), and
 * nothing else. Prints one ready line (JSON) on stdout.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
await app.register(formbody);
app.get('/', async () => ({ hello: 'world' }));
app.post('/', async (request) => ({ hello: (request.body as Record<string, string> | undefined)?.who ?? 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}` })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
