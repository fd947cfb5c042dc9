import { describe, expect, it } from 'vitest';
import { presentedTokenKind } from '../../src/core/sign-in/token-kind.js';

describe('presentedTokenKind', () => {
  it('reads a JWS compact serialisation as an ID token', () => {
    expect(presentedTokenKind('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_')).toBe('id_token');
  });

  it('reads anything else as an access token', () => {
    for (const value of [
      'EAAGm0PX4ZCpsBA',
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      'a..b',
      'a.b',
      'a.b.c.d',
      'a.b c.d',
    ])
      expect(presentedTokenKind(value), value).toBe('access_token');
  });

  it('takes a declared RFC 8693 token type over the shape', () => {
    expect(presentedTokenKind('a.b.c', 'urn:ietf:params:oauth:token-type:access_token')).toBe('access_token');
    expect(presentedTokenKind('opaque', 'urn:ietf:params:oauth:token-type:id_token')).toBe('id_token');
  });

  it('answers undefined for a declared type it does not accept', () => {
    expect(presentedTokenKind('a.b.c', 'urn:ietf:params:oauth:token-type:saml2')).toBeUndefined();
    expect(presentedTokenKind('a.b.c', 'toString')).toBeUndefined();
    expect(presentedTokenKind('a.b.c', '')).toBeUndefined();
  });
});
