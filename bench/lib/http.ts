import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(password)}`).toString('base64')}`;

export const form = (fields: Readonly<Record<string, string>>): string => new URLSearchParams(fields).toString();

/** One request, answered as text; throws with the body when the status is not `expected`. */
export const call = async (
  url: string,
  init: RequestInit = {},
  expected = 200,
): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> => {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== expected)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
};

/** Runs `task` for every item with at most `concurrency` in flight. */
export const mapLimit = async <T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>) => {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i] as T);
      }
    }),
  );
  return results;
};
