import transit from 'transit-js';
import { GatehouseError } from '../../core/errors.js';

/** A UUID: a Transit UUID (`~u…`) on the Transit wire, its string in plain JSON. */
export class Uuid {
  constructor(readonly value: string) {}
}

/** A keyword value such as a resource type (`~:currentUser`): a string in plain JSON. */
export class Keyword {
  constructor(readonly name: string) {}
}

/** What a Marketplace API response is made of. Object keys become keywords on the Transit wire. */
export type WireValue =
  | null
  | boolean
  | number
  | string
  | Date
  | Uuid
  | Keyword
  | readonly WireValue[]
  | { readonly [key: string]: WireValue | undefined }
  | Readonly<Record<string, unknown>>;

/** The three encodings the Marketplace API speaks. */
export type WireFormat = 'transit' | 'transit-verbose' | 'json';

export const transitContentType = 'application/transit+json';
export const jsonContentType = 'application/json';

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const toTransit = (value: unknown): unknown => {
  if (value instanceof Uuid) return transit.uuid(value.value);
  if (value instanceof Keyword) return transit.keyword(value.name);
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toTransit);
  const entries: unknown[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) entries.push(transit.keyword(key), toTransit(item));
  }
  return transit.map(entries);
};

const toJson = (value: unknown): unknown => {
  if (value instanceof Uuid) return value.value;
  if (value instanceof Keyword) return value.name;
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toJson);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) Object.defineProperty(out, key, { value: toJson(item), enumerable: true, writable: true });
  }
  return out;
};

const writers = {
  transit: transit.writer('json'),
  'transit-verbose': transit.writer('json-verbose'),
} as const;

/** Encodes a response body: Transit (UUIDs, dates and keyword keys tagged) or plain JSON. */
export const encodeWire = (value: WireValue, format: WireFormat): string =>
  format === 'json' ? JSON.stringify(toJson(value)) : writers[format].write(toTransit(value));

class NotPlainData extends Error {}

// Keys become own properties even when named `__proto__`: a body never reaches an object's prototype.
const safeMapBuilder = {
  init: () => ({}),
  add: (map: Record<string, unknown>, key: unknown, value: unknown) => {
    if (typeof key !== 'string') throw new NotPlainData('map keys must be strings or keywords');
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
    return map;
  },
  finalize: (map: Record<string, unknown>) => map,
};

const reader = transit.reader('json', {
  mapBuilder: safeMapBuilder,
  handlers: {
    // Keywords and symbols are read as strings, UUIDs as their canonical string, sets and lists as arrays: the
    // handlers validate plain data, and nothing here needs the distinction.
    ':': (rep: string) => rep,
    $: (rep: string) => rep,
    u: (rep: string) => rep,
    set: (rep: unknown[]) => rep,
    list: (rep: unknown[]) => rep,
    cmap: () => {
      throw new NotPlainData('composite map keys are not accepted');
    },
  },
});

/** Only JSON-like data and dates may come out of a request body; tagged values of unknown types are refused. */
const requirePlain = (value: unknown, depth = 0): unknown => {
  if (depth > 32) throw new NotPlainData('the body is nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotPlainData('numbers must be finite');
    return value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new NotPlainData('invalid date');
    return value;
  }
  if (Array.isArray(value)) {
    for (const item of value) requirePlain(item, depth + 1);
    return value;
  }
  if (isPlainObject(value)) {
    for (const item of Object.values(value)) requirePlain(item, depth + 1);
    return value;
  }
  throw new NotPlainData('unsupported Transit value');
};

/**
 * Decodes a Transit JSON request body (either encoding) into plain data: keyword keys and values as strings, UUIDs
 * as strings, dates as `Date`.
 * @throws GatehouseError `invalid_request` when it is not Transit or holds values of unsupported types.
 */
export const decodeTransit = (text: string): unknown => {
  let value: unknown;
  try {
    value = requirePlain(reader.read(text));
  } catch (error) {
    const reason = error instanceof NotPlainData ? `: ${error.message}` : '';
    throw new GatehouseError('invalid_request', `the body is not valid Transit JSON${reason}`);
  }
  return value;
};

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

const parseAccept = (accept: string): MediaRange[] =>
  accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
      const q = params.find((param) => param.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { type, q: Number.isFinite(weight) ? weight : 0 };
    })
    .filter((range) => range.type !== '' && range.q > 0);

/**
 * The response encoding a request asks for: Transit when its `Accept` prefers `application/transit+json` (as the SDK
 * always sends, verbose with `X-Transit-Verbose: true`), plain JSON otherwise.
 */
export const negotiateFormat = (accept: string | undefined, verbose: string | undefined): WireFormat => {
  const ranges = parseAccept(accept ?? '');
  const weight = (type: string) => Math.max(0, ...ranges.filter((r) => r.type === type).map((r) => r.q));
  const transitQ = weight(transitContentType);
  if (transitQ === 0 || transitQ < weight(jsonContentType)) return 'json';
  return verbose?.trim().toLowerCase() === 'true' ? 'transit-verbose' : 'transit';
};
