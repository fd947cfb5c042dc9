import type { Config } from './schema.js';

/** `publicUrl` → `GATEHOUSE_PUBLIC_URL`: the environment name of a config field, derived mechanically. */
export const envName = (field: string): string =>
  `GATEHOUSE_${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** Platform-conventional names accepted as they are (lower precedence than the `GATEHOUSE_*` name). */
export const envAliases: Partial<Record<keyof Config, string>> = {
  databaseUrl: 'DATABASE_URL',
  redisUrl: 'REDIS_URL',
  port: 'PORT',
  smtpUrl: 'SMTP_URL',
};
