import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (t) => out.push(t), (t) => err.push(t));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('virtio-net-conformance run: bad input', () => {
  it.each([
    [['run', '--features', 'VIRTIO_NET_F_BOGUS'], /--features: .*VIRTIO_NET_F_BOGUS/],
    [['run', '--clause', 'no.such.clause'], /--clause: no clause 'no\.such\.clause' in the catalog/],
    [['run', '--target', 'vmware'], /--target: unknown value 'vmware' \(allowed: reference, qemu\)/],
    [['run', '--transport', 'ccw'], /--transport: unknown value 'ccw'/],
    [['run', '--ring', 'ring'], /--ring: unknown value 'ring'/],
    [['run', '--area', 'timing'], /--area: unknown value 'timing'/],
    [['run', '--runs', '0'], /--runs: expected an integer ≥ 1, got '0'/],
    [['run', '--seed', 'abc'], /--seed: expected an integer/],
    [['run', '--path', '1:2'], /--path: replaying a path needs the --seed/],
    [['run', '--shard', '3/2'], /--shard: expected i\/n with 1 ≤ i ≤ n, got '3\/2'/],
    [['run', '--device', './no-such-device.js'], /--device \/.*\/no-such-device\.js: no such file/],
    [['run', '--frobnicate'], /run: Unknown option '--frobnicate'/],
    [['--frobnicate'], /run: Unknown option '--frobnicate'/],
    [['run', 'extra'], /run: unexpected argument 'extra'/],
  ])('%j exits 3 with a precise message and writes no report', async (argv, message) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vnc-run-')), 'report');
    const { code, out, err } = await cli(...argv, '--report', dir);
    expect(code).toBe(3);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('prints its help with exit 0', async () => {
    const { code, out } = await cli('run', '--help');
    expect(code).toBe(0);
    expect(out).toContain('--report <dir>');
  });
});
