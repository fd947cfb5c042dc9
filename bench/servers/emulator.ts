/** The IdP emulator in its own process: mints the upstream tokens of the social login scenarios and serves their JWKS. */
import { createEmulatorServer } from '../../src/emulator/index.js';

const server = await createEmulatorServer({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
