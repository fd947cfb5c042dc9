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
    redisUrl: Type.Optional(
      Type.String({
        pattern: '^rediss?://',
        description: 'Redis URL. When set, rate limits, replay guards and IdP caches are shared by every instance.',
      }),
    ),
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
    allowInsecureUpstreams: Type.Boolean({
      default: false,
      description:
        'Honour per-connection `endpoints`/`emulator` overrides outside development and test (for staging against an emulator). Never in a real deployment.',
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
