import type { ConfigIoUseCases } from '../config-io/index.js';
import type { CoreDeps } from '../deps.js';
import { seedDemo } from './seed-demo.js';

export type { DemoSeedResult } from './seed-demo.js';
export { demoIdpApps } from './seed-demo.js';

/** The development demo: a `demo` tenant wired to the local IdP emulator. */
export const createDemoUseCases = (deps: CoreDeps, configIo: ConfigIoUseCases) => ({
  /** See `seedDemo`: only on a store without tenants. */
  seedDemo: (options: { publicUrl: string }) => seedDemo(deps, configIo, options),
});
