import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a data directory that names the one process writing it. */
const lockFileName = 'gatehouse.lock';

/** What a lock file says about the process that holds it. */
export interface LockHolder {
  readonly pid: number;
  /** When the holding process started (RFC 3339). */
  readonly startedAt: string;
  /** The command it runs, e.g. `serve` or `tenant create`. */
  readonly command: string;
  /** Where a `serve` holding the lock answers its admin API (absent while it starts, and when the API is off). */
  readonly adminUrl?: string;
}

/** The data directory is held by another live process. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    /** Whether the lock file belongs to this process's user: only then is its `adminUrl` worth a credential. */
    readonly ownLock: boolean,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${holder.pid} (gatehouse ${holder.command}, started ${holder.startedAt}); one process at a time opens the embedded store`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  readonly holder: LockHolder;
  /** Records the admin API's URL in the lock file, so that other processes can reach this one instead. */
  advertise(adminUrl: string): void;
  /** Removes the lock file if it is still this process's (also done at process exit). Idempotent. */
  release(): void;
}

const render = (holder: LockHolder): string => `${JSON.stringify(holder)}\n`;

const parse = (text: string): LockHolder | undefined => {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (typeof value?.pid === 'number' && typeof value.startedAt === 'string' && typeof value.command === 'string')
      return value as LockHolder;
  } catch {
    // not a lock this program wrote: treated as stale
  }
  return undefined;
};

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/** Writes `text` to a private temporary file next to `path` and runs `place` with it; the temporary file never stays. */
const withTempFile = <T>(path: string, text: string, place: (temp: string) => T): T => {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, text, { mode: 0o600 });
  try {
    return place(temp);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // renamed into place
    }
  }
};

/** File systems without hard links (some container mounts) answer these to `link`. */
const noHardLinks = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP']);

/**
 * Creates the lock file with its whole content at once (a hard link fails if the file exists); where hard links are
 * not supported, by an exclusive create (a reader may then briefly see it empty, and treats it as stale only if it
 * stays so).
 */
const tryCreate = (path: string, holder: LockHolder): boolean =>
  withTempFile(path, render(holder), (temp) => {
    try {
      linkSync(temp, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return false;
      if (!noHardLinks.has(code)) throw error;
    }
    try {
      writeFileSync(path, render(holder), { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  });

const clockTicksPerSecond = 100;

/** When a process started, in ms since the epoch, from Linux's /proc; undefined elsewhere. */
const processStartMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootSeconds = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    const ticks = fields[19];
    if (bootSeconds === undefined || ticks === undefined) return undefined;
    return Number(bootSeconds) * 1000 + (Number(ticks) * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
};

/**
 * Whether the lock's process still runs. A dead pid, this very process's pid (a container restarted as pid 1) or a pid
 * whose process started after the lock's holder did (the pid was reused) mean the lock is stale.
 */
const isLive = (holder: LockHolder): boolean => {
  if (holder.pid === process.pid || !Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStartMs(holder.pid);
  return started === undefined || started <= Date.parse(holder.startedAt) + 5000;
};

/** Whether a file belongs to this process's user (true where there are no uids). */
const isOwn = (path: string): boolean => {
  const uid = process.getuid?.();
  try {
    return uid === undefined || statSync(path).uid === uid;
  } catch {
    return false;
  }
};

/**
 * Removes a stale lock file whose content was `stale`: moved aside first, so that of several processes taking it over
 * at once only one removes it, and a lock another process has just created in its place is put back.
 */
const removeStale = (path: string, stale: string): void => {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (readText(aside) !== stale) {
    try {
      linkSync(aside, path);
    } catch {
      // a third process holds the directory now; it wins
    }
  }
  unlinkSync(aside);
};

/**
 * Takes the single-writer lock of an embedded store's data directory: an exclusive file holding this process's pid,
 * start time and command. A lock left by a process that no longer runs is taken over.
 * @throws DataDirInUseError when a live process holds it; a file-system error when the directory cannot be written.
 */
export const acquireDataDirLock = (dataDir: string, command: string): DataDirLock => {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, lockFileName);
  let holder: LockHolder = {
    pid: process.pid,
    startedAt: new Date(Math.round(performance.timeOrigin)).toISOString(),
    command,
  };
  for (let attempt = 0; !tryCreate(path, holder); attempt++) {
    if (attempt >= 10) throw new Error(`${path}: the lock file keeps changing; another process is starting`);
    const text = readText(path);
    if (text === undefined) continue;
    const other = parse(text);
    if (other !== undefined && isLive(other)) throw new DataDirInUseError(dataDir, other, isOwn(path));
    removeStale(path, text);
  }
  const mine = (): boolean => readText(path) === render(holder);
  const release = (): void => {
    process.off('exit', release);
    try {
      if (mine()) unlinkSync(path);
    } catch {
      // the directory is gone or read-only now: nothing left to release
    }
  };
  process.on('exit', release);
  return {
    get holder() {
      return holder;
    },
    advertise: (adminUrl) => {
      if (!mine()) return;
      holder = { ...holder, adminUrl };
      withTempFile(path, render(holder), (temp) => renameSync(temp, path));
    },
    release,
  };
};
