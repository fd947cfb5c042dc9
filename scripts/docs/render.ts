import { envAliases, envName } from '../../src/config/env-names.js';
import { type Config, ConfigSchema } from '../../src/config/schema.js';
import { type ErrorCode, errorCatalog } from '../../src/core/errors.js';

interface SchemaNode {
  readonly type?: string;
  readonly const?: unknown;
  readonly anyOf?: readonly SchemaNode[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly description?: string;
  readonly secret?: boolean;
}

const generated = (source: string) =>
  `<!-- Generated from ${source} by \`npm run docs\`; do not edit by hand (test/meta/docs-parity.test.ts checks it). -->`;

/** Table cells hold no pipe and no line break. */
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

const typeOf = (node: SchemaNode): string => {
  if (node.anyOf !== undefined) return node.anyOf.map((n) => `\`${String(n.const)}\``).join(', ');
  if (node.type === 'integer') {
    const range = node.minimum !== undefined && node.maximum !== undefined ? ` ${node.minimum}–${node.maximum}` : '';
    return `integer${range}`;
  }
  return node.type ?? 'any';
};

/** `docs/configuration.md`: every setting of the process config, from the schema's descriptions and defaults. */
export const renderConfigurationDoc = (): string => {
  const rows = Object.entries(ConfigSchema.properties).map(([field, schema]) => {
    const node = schema as SchemaNode;
    const alias = envAliases[field as keyof Config];
    const env = `\`${envName(field)}\`${alias === undefined ? '' : ` or \`${alias}\``}`;
    const fallback = node.default === undefined ? '—' : `\`${JSON.stringify(node.default)}\``;
    const secret = node.secret === true ? ' **Secret**: never logged or echoed.' : '';
    return `| \`${field}\` | ${env} | ${cell(typeOf(node))} | ${cell(fallback)} | ${cell(`${node.description ?? ''}${secret}`)} |`;
  });
  return [
    generated('src/config/schema.ts'),
    '',
    '# Configuration',
    '',
    'The process configuration: static, per deployment. Each setting comes, in increasing precedence, from its default,',
    'a JSON config file (`--config FILE` or `GATEHOUSE_CONFIG`), the environment, and command-line flags (`gatehouse',
    'serve --help`). Every value is checked at start; each wrong one is reported on one line naming it, and the process',
    'exits with code 2. Tenants, clients, IdP connections and users are not configuration but data: see',
    '[the admin API and CLI](../README.md#the-cli) and [import/export](import-export.md).',
    '',
    '| setting | environment | type | default | description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
};

/** `docs/errors.md`: every error code, its HTTP status and meaning, from the catalog. One heading per code: the anchor. */
export const renderErrorsDoc = (): string => {
  const sections = (Object.entries(errorCatalog) as [ErrorCode, { status: number; summary: string }][]).map(
    ([code, { status, summary }]) => [`## ${code}`, '', `HTTP ${status}. ${summary}`, ''].join('\n'),
  );
  return [
    generated('src/core/errors.ts'),
    '',
    '# Errors',
    '',
    'Every stable error code Gatehouse raises. Each surface renders each code in its own format: the admin API as',
    'RFC 9457 `application/problem+json` whose `type` links the code below (`/docs/errors#not_found`) and whose',
    '`title` is the code; the OAuth/OpenID surfaces as RFC 6749 `{"error", "error_description"}`; the Flex, STS and',
    'Security API surfaces in their own envelopes (see `docs/surfaces/`). A 5xx never carries internal detail: the',
    'response says what the summary says, and the log has the rest under the request id.',
    '',
    ...sections,
  ].join('\n');
};

/** The generated documents, by path from the repository root. */
export const generatedDocs = (): Record<string, string> => ({
  'docs/configuration.md': renderConfigurationDoc(),
  'docs/errors.md': renderErrorsDoc(),
});
