import { chmodSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv, cliRunsAsNobody, runGatehouse, tempDir } from './spawn-cli.js';

vi.setConfig({ testTimeout: 180_000 });

/** One line on stderr, nothing on stdout, no stack trace. */
const oneLine = (stderr: string): string => {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr.trimEnd();
};

describe('gatehouse serve that cannot start: one line on stderr, a non-zero exit code', () => {
  let busy: Server;
  let port: number;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it('on a port another process holds: exit 1', async () => {
    const result = await runGatehouse(['serve', '--port', String(port), '--data', tempDir()], {
      env: cleanEnv({ GATEHOUSE_DEMO: 'false' }),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toBe(
      `gatehouse: cannot listen on 127.0.0.1:${port}: the address is in use by another process (EADDRINUSE)`,
    );
  });

  it('with a flag it does not know: exit 1, with the suggestion on the same line', async () => {
    const result = await runGatehouse(['serve', '--prot', '3000', '--data', tempDir()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toBe("error: unknown option '--prot' (Did you mean --port?) (add --help for usage)");
  });

  // root writes anywhere, so as root it runs the server as nobody: not where nobody cannot reach the checkout.
  it.skipIf(process.getuid?.() === 0 && !cliRunsAsNobody)(
    'on a data directory it may not write: exit 1, naming the directory',
    async () => {
      const base = tempDir();
      chmodSync(base, 0o755);
      const parent = join(base, 'read-only');
      mkdirSync(parent);
      chmodSync(parent, 0o555);
      const data = join(parent, 'data');
      // root writes anywhere: the server then runs as nobody, to whom the directory is as read-only as to anyone else.
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const result = await runGatehouse(['serve', '--port', '0', '--data', data], {
        env: cleanEnv({ HOME: base }),
        cwd: base,
        ...asNobody,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(oneLine(result.stderr)).toBe(`gatehouse: cannot mkdir ${data}: permission denied (EACCES)`);
    },
  );
});
