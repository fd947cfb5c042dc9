import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGatehouse, startGatehouse } from '../harness/gatehouse.js';

let withEmulator: RunningGatehouse;
let without: RunningGatehouse;

beforeAll(async () => {
  withEmulator = await startGatehouse({ config: { emulator: true } });
  without = await startGatehouse({ sharedStorage: withEmulator.storage });
});
afterAll(async () => {
  await without?.close();
  await withEmulator?.close();
});

describe('GET /_emulator (the IdP emulator inside Gatehouse)', () => {
  it('serves every provider under /_emulator with issuers at that public URL when enabled', async () => {
    const response = await fetch(`${withEmulator.url}/_emulator/google/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ issuer: `${withEmulator.url}/_emulator/google` });
    const minted = await fetch(`${withEmulator.url}/_emulator/google/_mint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'app', sub: '1', email: 'a@example.com', emailVerified: true }),
    });
    expect(minted.status).toBe(200);
    expect(typeof ((await minted.json()) as { id_token?: unknown }).id_token).toBe('string');
  });

  it('is not there unless enabled', async () => {
    const response = await fetch(`${without.url}/_emulator/google/.well-known/openid-configuration`);
    expect(response.status).toBe(404);
  });
});
