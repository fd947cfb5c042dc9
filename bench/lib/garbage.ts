import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** The processes whose inspector this module opened. */
const opened = new Set<number>();

/** Where Node's inspector listens when a process is sent SIGUSR1. */
const inspectorList = 'http://127.0.0.1:9229/json/list';

/**
 * Run by a helper process, because Node 20 has `WebSocket` only behind a flag: connects to the inspector at
 * `process.argv[1]` and asks for a full garbage collection.
 */
const collectScript = `
const socket = new WebSocket(process.argv[1]);
socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
socket.onmessage = (event) => {
  if (JSON.parse(String(event.data)).id === 1) process.exit(0);
};
socket.onerror = () => process.exit(1);
setTimeout(() => process.exit(2), 10000);
`;

const inspectorTargets = async (): Promise<{ webSocketDebuggerUrl?: string }[] | undefined> => {
  try {
    return (await (await fetch(inspectorList)).json()) as { webSocketDebuggerUrl?: string }[];
  } catch {
    return undefined;
  }
};

/**
 * Runs a full garbage collection in a Node process of the bench: opens its inspector (Node answers SIGUSR1 by
 * listening on 127.0.0.1:9229) and asks for one through it. The leak check measures RSS after it, so that its rounds
 * compare the memory the server keeps rather than how far its heap had grown when the last round ended. The inspector
 * stays open until the process ends: call it only once the measured rounds are over.
 * @returns false when it could not: the inspector's port is already taken by another process, or no answer came.
 */
export const collectGarbage = async (pid: number): Promise<boolean> => {
  let targets = await inspectorTargets();
  if (targets === undefined) {
    process.kill(pid, 'SIGUSR1');
    for (let tries = 0; tries < 50 && targets === undefined; tries++) {
      await sleep(100);
      targets = await inspectorTargets();
    }
  } else if (!opened.has(pid)) {
    // Something else already listens there: not this process's inspector.
    return false;
  }
  const url = targets?.[0]?.webSocketDebuggerUrl;
  if (url === undefined) return false;
  opened.add(pid);
  const helper = spawn(process.execPath, ['--experimental-websocket', '-e', collectScript, url], { stdio: 'ignore' });
  return new Promise((resolve) => helper.once('exit', (code) => resolve(code === 0)));
};
