import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformWithOxc } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findQemu } from './qemu-binary.js';
import { launchQemu } from './qemu-process.js';
import { killAllQemus, liveQemuPids } from './process-registry.js';

const qemu = findQemu();
const missing = qemu.kind === 'missing';
/** Carries the reason into the report: skipIf alone records none. */
const skipNote = qemu.kind === 'missing' ? ` [skipped: ${qemu.reason}]` : '';
const here = dirname(fileURLToPath(import.meta.url));

/** Processes whose command line mentions `needle` (zombies have an empty one and do not count). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process went away while we looked.
    }
  }
  return pids;
}

async function gone(needle: string, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (processesMentioning(needle).length === 0) return true;
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The process manager compiled to plain JavaScript (a child Node cannot load TypeScript): the
 * module and its relative imports, transpiled with the oxc transform vitest itself uses.
 */
let compiled: string;
beforeAll(async () => {
  if (missing) return;
  compiled = mkdtempSync(join(tmpdir(), 'vnc-qemu-child-'));
  const todo = ['qemu-process.ts'];
  const done = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(join(here, file), 'utf8');
    const { code } = await transformWithOxc(source, join(here, file), { lang: 'ts' });
    writeFileSync(join(compiled, file.replace(/\.ts$/, '.js')), code);
    for (const m of source.matchAll(/from '\.\/([\w-]+)\.js'/g)) todo.push(`${m[1]}.ts`);
  }
  writeFileSync(
    join(compiled, 'child.mjs'),
    `import { launchQemu } from './qemu-process.js';
const [mode, guard] = process.argv.slice(2);
const q = await launchQemu({ machine: 'q35', args: () => [], parentDeathSignal: guard === 'pdeathsig' });
process.stdout.write(JSON.stringify({ pid: q.pid, dir: q.paths.dir }) + '\\n');
process.stdin.once('data', () => {
  if (mode === 'exit') process.exit(1);
  if (mode === 'throw') throw new Error('boom');
  if (mode === 'reject') void Promise.reject(new Error('unhandled'));
});
setInterval(() => {}, 1000);
`,
  );
});
afterAll(() => {
  if (compiled !== undefined) rmSync(compiled, { recursive: true, force: true });
});

interface ChildRun {
  readonly qemuPid: number;
  readonly dir: string;
  readonly exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Runs the child in `mode`; `signal` is sent to it once its QEMU is up. */
async function runChild(mode: string, guard: 'registry' | 'pdeathsig', signal?: NodeJS.Signals): Promise<ChildRun> {
  const child = spawn(process.execPath, [join(compiled, 'child.mjs'), mode, guard], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const started = new Promise<{ pid: number; dir: string }>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as { pid: number; dir: string });
    });
    child.once('exit', () => reject(new Error(`child exited before starting QEMU: ${out}`)));
  });
  const exited = new Promise<ChildRun['exit']>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  const { pid, dir } = await started;
  expect(processesMentioning(dir)).toContain(pid);
  if (signal !== undefined) child.kill(signal);
  else child.stdin.write('go\n');
  return { qemuPid: pid, dir, exit: await exited };
}

describe(`no QEMU outlives the process that started it${skipNote}`, () => {
  it.skipIf(missing)('process.exit() in the middle of a run', async () => {
    const run = await runChild('exit', 'registry');
    expect(run.exit.code).toBe(1);
    expect(await gone(run.dir, 2000)).toBe(true);
    expect(existsSync(run.dir)).toBe(false);
  });

  it.skipIf(missing)('an uncaught exception', async () => {
    const run = await runChild('throw', 'registry');
    expect(run.exit.code).toBe(1);
    expect(await gone(run.dir, 2000)).toBe(true);
  });

  it.skipIf(missing)('an unhandled rejection', async () => {
    const run = await runChild('reject', 'registry');
    expect(run.exit.code).toBe(1);
    expect(await gone(run.dir, 2000)).toBe(true);
  });

  it.skipIf(missing).each(['SIGINT', 'SIGTERM'] as const)('%s, and the process still dies of the signal', async (signal) => {
    const run = await runChild('wait', 'registry', signal);
    expect(run.exit.signal).toBe(signal);
    expect(await gone(run.dir, 2000)).toBe(true);
    expect(existsSync(run.dir)).toBe(false);
  });

  it.skipIf(missing)('SIGKILL, through the parent-death signal', async () => {
    const run = await runChild('wait', 'pdeathsig', 'SIGKILL');
    expect(run.exit.signal).toBe('SIGKILL');
    expect(await gone(run.dir, 2000)).toBe(true);
    // Nothing ran in the killed process to remove the folder.
    rmSync(run.dir, { recursive: true, force: true });
  });

  it.skipIf(missing)('this process: close() reaps, killAllQemus() kills the rest', async () => {
    const a = await launchQemu({ machine: 'q35', args: () => [] });
    const b = await launchQemu({ machine: 'microvm', args: () => [] });
    expect(liveQemuPids()).toEqual(expect.arrayContaining([a.pid, b.pid]));
    expect(await a.close()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(liveQemuPids()).not.toContain(a.pid);
    expect(killAllQemus()).toBeGreaterThanOrEqual(1);
    expect(await b.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(b.paths.dir)).toBe(false);
    expect(processesMentioning(b.paths.dir)).toEqual([]);
  });
});
