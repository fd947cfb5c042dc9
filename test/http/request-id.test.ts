import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/http/request-id.js';

describe('newRequestId', () => {
  it('hands out distinct 22-character base64url ids, across many refills of its pool', () => {
    const ids = Array.from({ length: 5000 }, () => newRequestId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
