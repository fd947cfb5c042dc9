import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

export type Logger = PinoLogger;

/**
 * Paths pino replaces with "[redacted]": every field that can hold a secret or a token, wherever it appears
 * in a log object (request bodies are never logged as a whole).
 */
export const redactPaths = [
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'assertion',
  'ff_token',
  'idp_token',
  'idpToken',
  'subject_token',
  'actor_token',
  'code',
  'code_verifier',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.assertion',
  '*.code',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  readonly level: string;
  readonly destination?: DestinationStream;
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

/**
 * Requests are logged by path only: query strings carry codes, states and sometimes tokens, and are never logged.
 */
const serializers = {
  req: (req: RequestLike) => ({ method: req.method, path: (req.url ?? '').split('?')[0], ip: req.ip }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

export const createLogger = ({ level, destination }: LoggerOptions): Logger =>
  pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, serializers }, destination);
