import type { LoadSpec } from './load.js';

/** Every scenario of the JSON output, in the order they run. */
export const scenarios = [
  'client_credentials',
  'refresh_token',
  'discovery',
  'jwks',
  'social_login_known',
  'social_login_new',
  'userinfo',
] as const;
export type Scenario = (typeof scenarios)[number];

export const floorScenarios = ['http', 'sign', 'db'] as const;
export type FloorScenario = (typeof floorScenarios)[number];

/** `gatehouse` is Gatehouse on PostgreSQL (the one the targets are measured on); `gatehouse-pglite` on PGlite. */
export type SystemName = 'gatehouse' | 'gatehouse-pglite' | 'oidc-provider' | 'floor';

/** Builds the load of one run; `requests` is how many requests it should be able to serve (pools of tokens). */
export type ScenarioLoad = (requests: number) => Promise<LoadSpec>;

export interface RunningSystem {
  readonly system: Exclude<SystemName, 'floor'>;
  /** For the table: `Gatehouse (PostgreSQL)`. */
  readonly label: string;
  readonly pid: number;
  /** RSS once set up, before any load, in bytes. */
  readonly idleRss: number;
  /** The scenarios it runs; the others are left out of its rows (`oidc-provider` has no social login). */
  readonly scenarios: Partial<Record<Scenario, ScenarioLoad>>;
  /** Checks that a scenario answers as expected before it is loaded; a reason when it cannot run. */
  probe(scenario: Scenario): Promise<string | undefined>;
  stop(): Promise<void>;
}
