import { type Static, Type } from '@sinclair/typebox';

/**
 * The process configuration: static, per deployment. Every field has a description and (where it has one) a
 * default; `docs/configuration.md` is generated from this schema. Precedence: defaults < `--config FILE` (JSON) <
 * environment (`GATEHOUSE_*`, and the platform names in `aliases`) < command-line flags.
 */
export const ConfigSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
      default: 'development',
      description:
        'Run mode. `production` refuses to start without a master key or with a non-HTTPS public URL, and has no demo tenant, no emulator and no generated secrets. `NODE_ENV=production` or `NODE_ENV=test` select it too.',
    }),
    host: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address the HTTP server listens on.' }),
    port: Type.Integer({
      default: 3000,
      minimum: 0,
      maximum: 65535,
      description: 'TCP port the HTTP server listens on (0: any free port).',
    }),
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
        description:
          'The URL clients reach Gatehouse at, without a trailing slash. Issuers are `{publicUrl}/t/{tenant}`. Defaults to `http://localhost:{port}`. Must be https in production.',
      }),
    ),
    dataDir: Type.String({
      default: '.gatehouse',
      minLength: 1,
      description:
        'Directory of the embedded database (PGlite) and, in development, the generated master key and admin token. Unused when `databaseUrl` is set, except for those dev files.',
    }),
    databaseUrl: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        description: 'PostgreSQL connection URL. When set, Gatehouse uses PostgreSQL instead of the embedded PGlite.',
      }),
    ),
    databaseSchema: Type.Optional(
      Type.String({
        pattern: '^[a-z_][a-z0-9_]{0,62}$',
        description: "PostgreSQL schema to keep Gatehouse's tables in (created if missing). Default: `public`.",
      }),
    ),
    databasePoolSize: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 200,
      description: 'PostgreSQL connection pool size per instance.',
    }),
    databasePreparedStatements: Type.Boolean({
      default: true,
      description:
        'Prepare data statements once per pooled PostgreSQL connection (parsed and planned once, then only executed). Turn off behind a pooler that cannot keep prepared statements: PgBouncer in transaction mode before 1.21, or without `max_prepared_statements`.',
    }),
    databaseTimeoutMs: Type.Integer({
      default: 3000,
      minimum: 100,
      maximum: 600000,
      description:
        'Budget of one database wait, in milliseconds, so that a request answers 503 `storage_unavailable` in bounded time when the database is slow, frozen or a row is locked. PostgreSQL: `statement_timeout` is this, `lock_timeout` half of it, `idle_in_transaction_session_timeout` twice it (set on each connection); a pooled connection is waited for this long, and a server that does not answer at all is given up on after this plus one second. The embedded store: a query waits this long for its one connection. Migrations, CLI commands and the import at start run without these bounds.',
    }),
    redisUrl: Type.Optional(
      Type.String({
        pattern: '^rediss?://',
        description:
          'Redis URL. When set, rate limits and IdP caches are shared by every instance. Redis is an accelerator, not a dependency: while it is away each instance counts and caches in its own memory, and sign-in keeps working.',
      }),
    ),
    redisTimeoutMs: Type.Integer({
      default: 200,
      minimum: 10,
      maximum: 2000,
      description:
        'Upper bound of any one call to Redis, in milliseconds. A call that takes longer is answered from memory instead; after 3 failed calls in a row Redis is left alone (checked every second in the background) until it answers again.',
    }),
    masterKey: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Master key (32 bytes as 64 hex characters or base64url) that encrypts IdP secrets, signing keys and TOTP seeds at rest. Required in production; in development one is generated into the data dir.',
        secret: true,
      }),
    ),
    adminToken: Type.Optional(
      Type.String({
        minLength: 24,
        description:
          'Bearer token for the admin API (`/admin`). In development one is generated and printed once; in production the admin API is off without it.',
        secret: true,
      }),
    ),
    metricsToken: Type.Optional(
      Type.String({
        minLength: 24,
        description:
          'Bearer token `GET /metrics` requires (Prometheus `authorization` / `bearer_token_file`). In production `/metrics` is off (404) without it; in development and test it is open unless this is set.',
        secret: true,
      }),
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Log level.' },
    ),
    smtpUrl: Type.Optional(
      Type.String({
        pattern: '^smtps?://',
        description:
          'SMTP server for email one-time codes and links (`smtp://user:pass@host:port`). Without it, development prints mail to the log and the dev outbox page.',
        secret: true,
      }),
    ),
    mailFrom: Type.String({
      default: 'Gatehouse <no-reply@gatehouse.local>',
      description: 'Sender address of the mail Gatehouse sends.',
    }),
    importFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A configuration document (see docs/import-export.md) applied idempotently at start.',
      }),
    ),
    upstreamTimeoutMs: Type.Integer({
      default: 5000,
      minimum: 100,
      maximum: 60000,
      description: 'Upper bound of any one call to an identity provider, in milliseconds.',
    }),
    shutdownGraceMs: Type.Integer({
      default: 25000,
      minimum: 100,
      maximum: 3600000,
      description:
        "On SIGTERM or SIGINT, how long requests in flight may take to finish, in milliseconds. The server stops accepting at once and closes idle connections; when the grace runs out, the remaining connections are closed and the process exits with code 1 (0 otherwise). Keep it below the orchestrator's own grace (Kubernetes: 30 s).",
    }),
    allowInsecureUpstreams: Type.Boolean({
      default: false,
      description:
        'Honour per-connection `emulator` and plain-http `endpoints` overrides outside development and test (for staging against an emulator). Never in a real deployment. https `endpoints` (GitHub Enterprise Server, Entra External ID, sovereign clouds) need no opt-in.',
    }),
    allowPrivateUpstreams: Type.Boolean({
      default: false,
      description:
        'Let Gatehouse connect to identity providers at loopback, private or link-local addresses outside development and test (an IdP on your own network). Otherwise every upstream address is checked when the connection is made, a host name on each address it resolves to, and a non-public one is refused, so that a connection setting cannot reach internal services. Implied by `allowInsecureUpstreams`.',
    }),
    demo: Type.Optional(
      Type.Boolean({
        description:
          'Create the `demo` tenant on an empty store. Default: on in development, off otherwise; ignored in production.',
      }),
    ),
    emulator: Type.Optional(
      Type.Boolean({
        description:
          'Mount the local IdP emulator at `/_emulator`. Default: on in development, off otherwise; ignored in production.',
      }),
    ),
    trustProxy: Type.Boolean({
      default: false,
      description: 'Trust `X-Forwarded-*` headers (behind a load balancer).',
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** The fields that hold secrets: redacted wherever config is printed. */
export const secretConfigFields = Object.entries(ConfigSchema.properties)
  .filter(([, schema]) => (schema as { secret?: boolean }).secret === true)
  .map(([name]) => name);
