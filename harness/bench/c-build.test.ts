import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildC, GCC_INSTALL_HINT, probeCompiler } from './c-build.js';
import { runChild } from './child-process.js';

describe('probeCompiler', () => {
  it('reports a missing compiler with install instructions', async () => {
    const probe = await probeCompiler('virtio-bench-no-such-cc');
    expect(probe.kind).toBe('missing');
    if (probe.kind === 'missing') expect(probe.message).toContain(GCC_INSTALL_HINT);
  });
});

describe('buildC', async () => {
  const compiler = await probeCompiler();
  const dir = await mkdtemp(join(tmpdir(), 'bench-build-test-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(compiler.kind !== 'found')('builds once, reuses the binary, and rebuilds when a header changes', async () => {
    if (compiler.kind !== 'found') return;
    const source = join(dir, 'hello.c');
    await writeFile(join(dir, 'value.h'), '#define VALUE 41\n');
    await writeFile(source, '#include <stdio.h>\n#include "value.h"\nint main(void) { printf("%d\\n", VALUE + 1); return 0; }\n');
    const out = join(dir, 'out');
    const first = await buildC({ compiler, source, outDir: out, flags: ['-O2'] });
    expect(first.kind).toBe('built');
    const again = await buildC({ compiler, source, outDir: out, flags: ['-O2'] });
    expect(again.kind).toBe('cached');
    if (first.kind === 'build-failed' || again.kind === 'build-failed') return;
    expect(again.binary).toBe(first.binary);
    expect(await runChild(first.binary, [], { timeoutMs: 10_000 })).toMatchObject({ kind: 'exited', code: 0, stdout: '42\n' });
    await writeFile(join(dir, 'value.h'), '#define VALUE 1\n');
    const changed = await buildC({ compiler, source, outDir: out, flags: ['-O2'] });
    expect(changed.kind).toBe('built');
    if (changed.kind !== 'built') return;
    expect(changed.binary).not.toBe(first.binary);
    expect(changed.command).toEqual([compiler.command, '-O2', '-o', changed.binary, source]);
  });

  it.skipIf(compiler.kind !== 'found')('reports a compile error as build-failed', async () => {
    if (compiler.kind !== 'found') return;
    const source = join(dir, 'broken.c');
    await writeFile(source, 'int main(void) { return }\n');
    const result = await buildC({ compiler, source, outDir: join(dir, 'out'), flags: ['-O2'] });
    expect(result.kind).toBe('build-failed');
    if (result.kind === 'build-failed') expect(result.message).toMatch(/exited with code 1/);
  });
});
