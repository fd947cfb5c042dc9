import { createEmulatorServer, type EmulatorServer } from './server.js';

export type { MintRequest, MintResponse } from './context.js';
export type { ControlRequest, EmulatorPluginOptions } from './plugin.js';
export { emulatedProviderKinds, emulatorPlugin } from './plugin.js';
export { objectIdOf } from './providers/oidc.js';
export type { EmulatorServer, EmulatorServerOptions } from './server.js';
export { createEmulatorServer } from './server.js';
export type { EmulatedApp, EmulatorMode } from './state.js';
export type { ProviderKind, TestUser } from './users.js';
export { configuredUsers, consumerTenantId, emulatedOrgTenantId } from './users.js';

/** Options of `gatehouse emulator`. */
export interface EmulatorCommandOptions {
  readonly port: number;
  readonly host?: string;
  readonly publicUrl?: string;
  /** Where the banner goes (default: stdout). */
  readonly write?: (line: string) => void;
}

/**
 * `gatehouse emulator --port N`: starts the stand-alone emulator and prints how to use it. Resolves once it listens;
 * the open server keeps the process alive until it is stopped (Ctrl-C) or `close()` is called.
 */
export const runEmulatorCommand = async (options: EmulatorCommandOptions): Promise<EmulatorServer> => {
  const server = await createEmulatorServer({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
  });
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { url } = server;
  write(`IdP emulator listening on ${url} (development and tests only; never expose it)`);
  write(`  connection field:  "emulator": "${url}"`);
  write(
    `  mint a token:      curl -s -X POST ${url}/google/_mint -H 'content-type: application/json' -d '{"clientId":"my-app","sub":"1000001","email":"alice@example.com","emailVerified":true}'`,
  );
  write(`  skip the page:     add test_user=alice (or a sub or email) to an authorization URL`);
  write(
    `  failure switches:  curl -s -X POST ${url}/_control -H 'content-type: application/json' -d '{"mode":"down"}'`,
  );
  return server;
};
