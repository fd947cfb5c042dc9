import sharetribe from 'sharetribe-flex-sdk';
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../src/core/errors.js';
import { decodeTransit, encodeWire, Keyword, negotiateFormat, Uuid } from '../../../src/surfaces/flex/transit.js';

const uuid = '0e0b60fe-d9a2-11e6-bf26-cec0c932ce01';

describe('the Flex Transit codec', () => {
  it('decodes what the SDK writes into plain data: keyword keys as strings, UUIDs as strings, dates as Date', () => {
    const written = sharetribe.transit.write({
      idpId: 'facebook',
      publicData: { nested: { list: [1, 'two', null] } },
      when: new Date(0),
      id: new sharetribe.types.UUID(uuid),
    });

    expect(decodeTransit(written)).toEqual({
      idpId: 'facebook',
      publicData: { nested: { list: [1, 'two', null] } },
      when: new Date(0),
      id: uuid,
    });
  });

  it('keeps a `__proto__` key as data, never as the prototype', () => {
    const decoded = decodeTransit('["^ ","~:__proto__",["^ ","~:polluted",true]]') as Record<string, unknown>;

    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['not Transit', '{"email": '],
    ['an empty body', ''],
    ['a composite map key', '["~#cmap",[["^ ","~:a",1],2]]'],
    ['an unknown tag', '["~#point",[1,2]]'],
    ['a decimal', '["^ ","~:price","~f1.50"]'],
    ['an integer beyond 53 bits', '["^ ","~:n","~i9007199254740993"]'],
  ])('refuses %s with invalid_request', (_what, text) => {
    let error: unknown;
    try {
      decodeTransit(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe('invalid_request');
  });

  it('encodes a resource the SDK reads back with its own types, in both Transit encodings', () => {
    const resource = {
      data: {
        id: new Uuid(uuid),
        type: new Keyword('currentUser'),
        attributes: { createdAt: new Date(1000), bio: null },
      },
    };
    for (const format of ['transit', 'transit-verbose'] as const) {
      const read = sharetribe.transit.read(encodeWire(resource, format)) as {
        data: { id: { uuid: string }; type: string; attributes: { createdAt: Date; bio: null } };
      };
      expect(read.data.id).toBeInstanceOf(sharetribe.types.UUID);
      expect(read.data.id.uuid).toBe(uuid);
      expect(read.data.type).toBe('currentUser');
      expect(read.data.attributes).toEqual({ createdAt: new Date(1000), bio: null });
    }
  });

  it('encodes plain JSON with strings for UUIDs, keywords and dates', () => {
    const text = encodeWire(
      { id: new Uuid(uuid), type: new Keyword('currentUser'), at: new Date(0), skip: undefined },
      'json',
    );

    expect(JSON.parse(text)).toEqual({ id: uuid, type: 'currentUser', at: '1970-01-01T00:00:00.000Z' });
  });

  it.each([
    ['application/transit+json', undefined, 'transit'],
    ['application/transit+json', 'true', 'transit-verbose'],
    ['application/json', undefined, 'json'],
    [undefined, undefined, 'json'],
    ['*/*', undefined, 'json'],
    ['application/json;q=0.5, application/transit+json', undefined, 'transit'],
    ['application/transit+json;q=0.2, application/json', undefined, 'json'],
  ] as const)('negotiates Accept %s (X-Transit-Verbose %s) to %s', (accept, verbose, expected) => {
    expect(negotiateFormat(accept, verbose)).toBe(expected);
  });
});
