import { JwsError } from './errors.js';

/** A compact JWS, split and decoded, signature not yet checked. */
export interface DecodedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `BASE64URL(header) . BASE64URL(payload)`: the bytes the signature covers. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const base64url = /^[A-Za-z0-9_-]+$/;
/** The signature part may be empty (an unsecured JWS, RFC 7519 §6): its `alg` is refused afterwards, as jose does. */
const signaturePart = /^[A-Za-z0-9_-]*$/;

const jsonObject = (part: string): Record<string, unknown> | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
};

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1). Refuses a `crit` header (RFC 7515 §4.1.11: no extension is
 * understood here) and any `b64` header (RFC 7797: JWTs never use an unencoded payload).
 * @throws JwsError `ERR_JWS_INVALID` (shape, header), `ERR_JWT_INVALID` (payload not a JSON object)
 */
export const decodeJws = (token: string): DecodedJws => {
  if (typeof token !== 'string') throw new JwsError('ERR_JWS_INVALID', 'the token is not a string');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwsError('ERR_JWS_INVALID', 'the token is not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  if (!base64url.test(h) || !base64url.test(p) || !signaturePart.test(s))
    throw new JwsError('ERR_JWS_INVALID', 'the token is not a compact JWS');
  const header = jsonObject(h);
  if (header === undefined) throw new JwsError('ERR_JWS_INVALID', 'the token header is not a JSON object');
  if (header.crit !== undefined) throw new JwsError('ERR_JWS_INVALID', 'the token has critical header parameters');
  if (header.b64 !== undefined) throw new JwsError('ERR_JWS_INVALID', 'the token has an unencoded payload');
  if (typeof header.alg !== 'string') throw new JwsError('ERR_JWS_INVALID', 'the token header has no alg');
  const payload = jsonObject(p);
  if (payload === undefined) throw new JwsError('ERR_JWT_INVALID', 'the token payload is not a JSON object');
  return {
    header,
    payload,
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    signature: Buffer.from(s, 'base64url'),
  };
};
