/**
 * Starting and stopping one QEMU with no guest OS (qemu-qtest.md §0, §1): a private temporary
 * folder holds the halting firmware and the unix sockets; Node listens on every socket *before*
 * the spawn and QEMU connects as a client (`-qtest unix:…`, `-chardev socket,path=…` without
 * `server=on`), so there is no race on a socket appearing, and a QEMU that refuses its options
 * shows up as an exit with its stderr, never as a hang.
 *
 * Every QEMU is registered for killing when the harness dies ({@link registerQemu}) and, where
 * util-linux `setpriv` exists, spawned with the parent-death signal SIGKILL, which covers a
 * harness killed by SIGKILL. stderr is kept, bounded, for failure reports. Closing kills with
 * SIGKILL: nothing of a test QEMU's state is worth a graceful `quit`.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { haltBios } from './halt-bios.js';
import { registerQemu } from './process-registry.js';
import { QemuCrashedError, type QemuExit, QemuStartError, QemuTimeoutError } from './qemu-errors.js';
import { QmpClient } from './qmp-client.js';
import { QtestClient } from './qtest-client.js';

/** The default QEMU binary. */
export const QEMU_BINARY = 'qemu-system-x86_64';

/** Paths inside one QEMU's private folder. */
export interface QemuPaths {
  readonly dir: string;
  readonly bios: string;
  readonly qtest: string;
  readonly qmp: string;
  /** The path of an extra listening socket, by name (see {@link QemuLaunchOptions.listeners}). */
  socket(name: string): string;
}

/** Options of {@link launchQemu}. */
export interface QemuLaunchOptions {
  /** @default 'qemu-system-x86_64' (found on PATH) */
  readonly binary?: string;
  /** `-machine` value: `q35`, `microvm`, with options if any. */
  readonly machine: string;
  /** Arguments after the fixed ones: netdev, device, globals. */
  readonly args: (paths: QemuPaths) => readonly string[];
  /** Extra unix sockets Node listens on and QEMU must connect to before start-up completes (e.g. `wire`). */
  readonly listeners?: readonly string[];
  /** Bound on spawn → all connections → QMP handshake. @default 5000 */
  readonly startTimeoutMs?: number;
  /** Bound on each qtest request; QEMU is killed when it passes. @default 2000 */
  readonly requestTimeoutMs?: number;
  /** stderr bytes kept (the latest). @default 65536 */
  readonly stderrLimit?: number;
  /** Spawn through `setpriv --pdeathsig KILL` when available. @default true */
  readonly parentDeathSignal?: boolean;
  /** Where qtest logs every request (a replayable transcript). @default '/dev/null' */
  readonly qtestLog?: string;
  /** Start with `-S` (runstate prelaunch; QMP `cont` starts it). @default false */
  readonly paused?: boolean;
}

/** A running QEMU and its connections. */
export interface QemuInstance {
  readonly pid: number;
  readonly paths: QemuPaths;
  readonly qtest: QtestClient;
  readonly qmp: QmpClient;
  /** QEMU's version from the QMP greeting, e.g. `7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`. */
  readonly version: string;
  /** Extra sockets QEMU connected to, by listener name. */
  readonly sockets: ReadonlyMap<string, Socket>;
  /** Spawn to QMP handshake done, in ms. */
  readonly startupMs: number;
  /** The command line (for reports). */
  readonly commandLine: readonly string[];
  /** How QEMU ended, or null while it runs. */
  readonly exit: QemuExit | null;
  /** Settles when QEMU has exited and its stderr is complete. */
  readonly exited: Promise<QemuExit>;
  /** stderr so far (the latest {@link QemuLaunchOptions.stderrLimit} bytes). */
  stderr(): string;
  /** SIGKILLs QEMU, waits for it and removes its folder. Idempotent. */
  close(): Promise<QemuExit>;
}

let setprivPath: string | null | undefined;

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

/** Keeps the latest `limit` bytes of a stream. */
class BoundedText {
  #text = '';
  #dropped = 0;
  constructor(readonly limit: number) {}
  add(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > this.limit) {
      this.#dropped += this.#text.length - this.limit;
      this.#text = this.#text.slice(this.#text.length - this.limit);
    }
  }
  toString(): string {
    return this.#dropped === 0 ? this.#text : `[${this.#dropped} earlier bytes dropped]\n${this.#text}`;
  }
}

/** Starts QEMU and connects qtest, QMP and the extra sockets. @throws QemuStartError */
export async function launchQemu(options: QemuLaunchOptions): Promise<QemuInstance> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'vnc-qemu-'));
  const paths: QemuPaths = {
    dir,
    bios: join(dir, 'halt.bin'),
    qtest: join(dir, 'qtest.sock'),
    qmp: join(dir, 'qmp.sock'),
    socket: (name) => join(dir, `${name}.sock`),
  };
  writeFileSync(paths.bios, haltBios());
  const names = ['qtest', 'qmp', ...(options.listeners ?? [])];
  const servers = await Promise.all(names.map((n) => listen(n === 'qtest' ? paths.qtest : n === 'qmp' ? paths.qmp : paths.socket(n))));
  let serversOpen = true;
  const closeServers = (): void => {
    if (!serversOpen) return;
    serversOpen = false;
    for (const s of servers) s.close();
  };

  const binary = options.binary ?? QEMU_BINARY;
  const args = [
    '-machine', options.machine, '-accel', 'tcg', '-display', 'none', '-nodefaults', '-no-user-config',
    '-bios', paths.bios,
    '-qtest', `unix:${paths.qtest}`, '-qtest-log', options.qtestLog ?? '/dev/null',
    '-chardev', `socket,path=${paths.qmp},id=qmp0`, '-mon', 'chardev=qmp0,mode=control',
    ...(options.paused === true ? ['-S'] : []),
    ...options.args(paths),
  ];
  if (setprivPath === undefined) setprivPath = findOnPath('setpriv');
  const viaSetpriv = options.parentDeathSignal !== false && setprivPath !== null;
  const commandLine = viaSetpriv ? [setprivPath as string, '--pdeathsig', 'KILL', '--', binary, ...args] : [binary, ...args];

  const stderr = new BoundedText(options.stderrLimit ?? 65_536);
  let exit: QemuExit | null = null;
  let spawnError: Error | null = null;
  let unregister = (): void => {};
  const proc: ChildProcess = spawn(commandLine[0] as string, commandLine.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => stderr.add(chunk));
  const exited = new Promise<QemuExit>((resolve) => {
    proc.once('error', (error) => {
      spawnError = error;
      exit = { code: null, signal: null };
      closeServers();
      rmSync(dir, { recursive: true, force: true });
      resolve(exit);
    });
    proc.once('close', (code, signal) => {
      exit = { code, signal };
      unregister();
      closeServers();
      rmSync(dir, { recursive: true, force: true });
      resolve(exit);
    });
  });
  if (proc.pid !== undefined) unregister = registerQemu(proc.pid, dir);

  const kill = (): void => {
    if (exit === null) proc.kill('SIGKILL');
  };
  /** Waits (bounded) for QEMU to exit, so an error carries its status and complete stderr. */
  const settled = async (ms: number): Promise<QemuExit | null> => {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
    clearTimeout(timer);
    return result;
  };
  const startTimeoutMs = options.startTimeoutMs ?? 5000;
  const fail = async (reason: QemuStartError['reason'], detail: string): Promise<never> => {
    kill();
    const e = await settled(1000);
    throw new QemuStartError(reason, e, stderr.toString(), detail);
  };

  const connections = new Map<string, Socket>();
  const connected = await new Promise<'connected' | 'timeout' | 'exited'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), startTimeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      resolve('exited');
    });
    servers.forEach((server, i) =>
      server.once('connection', (socket: Socket) => {
        socket.on('error', () => {});
        connections.set(names[i] as string, socket);
        if (connections.size === names.length) {
          clearTimeout(timer);
          resolve('connected');
        }
      }),
    );
  });
  closeServers();
  if (connected !== 'connected') {
    for (const s of connections.values()) s.destroy();
    const missing = names.filter((n) => !connections.has(n)).join(', ');
    if (connected === 'timeout') await fail('no-connection', `no connection on ${missing} within ${startTimeoutMs} ms`);
    const failure = spawnError as Error | null;
    await fail(failure !== null ? 'spawn-failed' : 'exited', failure !== null ? failure.message : `QEMU exited before connecting to ${missing}`);
  }

  let closing = false;
  const closeError = async (what: string): Promise<Error> => {
    const e = await settled(1000);
    return new QemuCrashedError(e, stderr.toString(), closing ? `${what} (the harness closed QEMU)` : what);
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 2000;
  const qtest = new QtestClient(connections.get('qtest') as Socket, {
    requestTimeoutMs,
    onTimeout: (request, afterMs) => {
      kill();
      return new QemuTimeoutError(request, afterMs, stderr.toString());
    },
    onClose: () => closeError('a qtest request'),
  });
  const qmp = new QmpClient(connections.get('qmp') as Socket, { onClose: () => closeError('a QMP command') });
  let version: string;
  let greetingTimer: NodeJS.Timeout | undefined;
  try {
    const v = await Promise.race([
      qmp.handshake(),
      new Promise<never>((_, reject) => (greetingTimer = setTimeout(() => reject(new Error('no QMP greeting')), startTimeoutMs))),
    ]);
    clearTimeout(greetingTimer);
    version = `${v.major}.${v.minor}.${v.micro}${v.package === '' ? '' : ` ${v.package}`}`;
  } catch (error) {
    clearTimeout(greetingTimer);
    // QEMU connects its chardevs before it parses -device, so a refused device shows up here as an exit.
    const e = await settled(1000);
    if (e !== null) return fail('exited', 'QEMU exited during start-up');
    return fail('no-connection', `QMP handshake failed: ${error instanceof QemuCrashedError ? 'connection closed' : (error as Error).message}`);
  }

  const extra = new Map([...connections].filter(([name]) => name !== 'qtest' && name !== 'qmp'));
  return {
    pid: proc.pid as number,
    paths,
    qtest,
    qmp,
    version,
    sockets: extra,
    startupMs: performance.now() - started,
    commandLine,
    get exit() {
      return exit;
    },
    exited,
    stderr: () => stderr.toString(),
    async close() {
      closing = true;
      kill();
      const e = await exited;
      for (const s of connections.values()) s.destroy();
      return e;
    },
  };
}
