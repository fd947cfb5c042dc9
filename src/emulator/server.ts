import Fastify from 'fastify';
import { emulatorPlugin } from './plugin.js';
import type { EmulatedApp } from './state.js';

/** A running stand-alone emulator. */
export interface EmulatorServer {
  /** Its base URL, e.g. `http://127.0.0.1:4000`: the value of a connection's `emulator` field. */
  readonly url: string;
  close(): Promise<void>;
}

export interface EmulatorServerOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** The URL connections reach it at, when not `http://{host}:{port}` (behind a proxy, in a container). */
  readonly publicUrl?: string;
  /** The apps registered from the start (more with `POST /_apps`). */
  readonly apps?: readonly EmulatedApp[];
}

/** Starts the IdP emulator on its own HTTP server, at the root path. */
export const createEmulatorServer = async (options: EmulatorServerOptions = {}): Promise<EmulatorServer> => {
  const host = options.host ?? '127.0.0.1';
  const app = Fastify({ logger: false, forceCloseConnections: true });
  let url = options.publicUrl;
  await app.register(emulatorPlugin, {
    baseUrl: () => url ?? '',
    ...(options.apps === undefined ? {} : { apps: options.apps }),
  });
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  url ??= `http://${shownHost}:${port}`;
  const base = url;
  return { url: base, close: () => app.close() };
};
