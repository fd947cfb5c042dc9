import { type Kysely, sql } from 'kysely';

// Frozen in time: this file imports nothing from the app.

/** The names steps were stored under before, and the strategy names they are stored under now. */
const renamed: Readonly<Record<string, string>> = {
  UP: 'password',
  EMAIL: 'email_code',
  OATH: 'totp',
  RECOVERY: 'recovery_code',
};

/** What a flow started by an API caller issued at its end before its surface chose (now stored with the flow). */
const apiTokens = { scope: ['openid', 'profile', 'email'], grantType: 'security_api' };

interface StoredSteps {
  challenges: { mechanisms: { id: string; name: string; partialAddress?: string }[] }[];
}

const renameSteps = (steps: StoredSteps, names: Readonly<Record<string, string>>): StoredSteps => ({
  challenges: steps.challenges.map((challenge) => ({
    mechanisms: challenge.mechanisms.map((choice) => ({ ...choice, name: names[choice.name] ?? choice.name })),
  })),
});

const parse = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** The kind of target of a flow started by an API caller: a wire dialect's name before, the core's own now. */
const apiTargetKinds = { before: 'security_api', after: 'api' } as const;

/**
 * Rewrites every stored flow's steps with `names`, and its API target's kind (`forward`: to the core's name, with the
 * tokens it issues), one row at a time (flows live minutes).
 */
const rewrite = async (db: Kysely<any>, names: Readonly<Record<string, string>>, forward: boolean) => {
  const [from, to] = forward
    ? [apiTargetKinds.before, apiTargetKinds.after]
    : [apiTargetKinds.after, apiTargetKinds.before];
  const rows = await db.selectFrom('login_flows').select(['id', 'mfa_package', 'target']).execute();
  for (const row of rows) {
    const steps = row.mfa_package === null ? null : parse<StoredSteps>(row.mfa_package);
    const target = parse<Record<string, unknown>>(row.target);
    const apiTarget = target.kind === from;
    if (steps === null && !apiTarget) continue;
    await db
      .updateTable('login_flows')
      .set({
        ...(steps === null ? {} : { mfa_package: JSON.stringify(renameSteps(steps, names)) }),
        ...(apiTarget
          ? {
              target: JSON.stringify({
                ...target,
                kind: to,
                ...(forward && target.scope === undefined ? apiTokens : {}),
              }),
            }
          : {}),
      })
      .where('id', '=', row.id)
      .execute();
  }
};

export const up = async (db: Kysely<any>): Promise<void> => {
  // A flow has a kind: `login` for every flow so far; registration, recovery and the like are further kinds.
  await db.schema
    .alterTable('login_flows')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo(sql`'login'`))
    .execute();
  // Steps are stored under the core's strategy names, no longer a wire dialect's mechanism names; a flow begun before
  // this migration finishes after it. A flow an API caller started has the target kind `api`, and carries the scope
  // and grant label its tokens get.
  await rewrite(db, renamed, true);
};

export const down = async (db: Kysely<any>): Promise<void> => {
  await rewrite(db, Object.fromEntries(Object.entries(renamed).map(([before, after]) => [after, before])), false);
  await db.schema.alterTable('login_flows').dropColumn('kind').execute();
};
