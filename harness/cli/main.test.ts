import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

describe('virtio-net-conformance list', () => {
  it('prints the 475 in-scope clauses with id, level, role and text', async () => {
    const { code, out } = await cli('list');
    expect(code).toBe(0);
    expect(out).toMatch(/^status\.driver\.1\s+MUST\s+driver\s+Driver sets device status bits/m);
    expect(out.trim().split('\n').at(-1)).toBe('475 clauses');
  });

  it('filters by area, level and role, and prints JSON', async () => {
    const { code, out } = await cli('list', '--area', 'd,e', '--level', 'MUST', '--level', 'must_not', '--role', 'device', '--json');
    expect(code).toBe(0);
    const clauses = JSON.parse(out) as { area: string; level: string; role: string }[];
    expect(clauses.length).toBeGreaterThan(10);
    for (const c of clauses) {
      expect(['d', 'e']).toContain(c.area);
      expect(['MUST', 'MUST NOT']).toContain(c.level);
      expect(c.role).toBe('device');
    }
  });

  it('widens the scope on request', async () => {
    const { out } = await cli('list', '--spec-version', '1.4', '--legacy', '--area', 'a,b,c,d,e,f,g,h', '--json');
    expect(JSON.parse(out)).toHaveLength(767);
  });

  it('answers --help with exit 0', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.out).toContain('Commands:');
    const list = await cli('list', '--help');
    expect(list.code).toBe(0);
    expect(list.out).toContain('--area');
  });

  it.each([
    [['list', '--bogus'], "list: Unknown option '--bogus'"],
    [['list', '--area', 'z'], "--area: unknown value 'z' (allowed: a, b, c, d, e, f, g, h)"],
    [['list', '--level', 'MUSTY'], "--level: unknown value 'MUSTY' (allowed: MUST, MUST_NOT, SHOULD, SHOULD_NOT, MAY)"],
    [['list', '--role', 'host'], "--role: unknown value 'host'"],
    [['list', '--spec-version', '2.0'], "--spec-version: unknown value '2.0'"],
    [['list', '--area'], "list: Option '--area <value>' argument missing"],
    [['frobnicate'], "unknown command 'frobnicate' (commands: run, list, explain, mutants, merge)"],
    [['--bogus'], "run: Unknown option '--bogus'"],
    [['list', '--catalog', '/nonexistent.json'], 'cannot read the clause catalog /nonexistent.json: ENOENT'],
  ])('refuses %j with a precise message and exit 3', async (argv, message) => {
    const { code, out, err } = await cli(...argv);
    expect(code).toBe(3);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('names the bad entry of a corrupt catalog, and shows a stack only with --debug', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vnc-cli-')), 'clauses.json');
    writeFileSync(path, JSON.stringify({ spec: { repository: 'r', commit: '0'.repeat(40), tag: 't' }, clauses: [{ id: 'x' }] }));
    const plain = await cli('list', '--catalog', path);
    expect(plain.code).toBe(3);
    expect(plain.err).toContain("clauses[0] (id 'x'), field 'section'");
    expect(plain.err).not.toMatch(/\n\s+at /);
    const debug = await cli('list', '--catalog', path, '--debug');
    expect(debug.err).toMatch(/\n\s+at /);
  });
});

describe('the installed bin', () => {
  it('runs the built CLI (npm test builds first) and exits 3 on an unknown flag', () => {
    const bin = new URL('./bin.js', import.meta.url).pathname;
    const ok = spawnSync(process.execPath, [bin, 'list', '--area', 'c'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('config.');
    const bad = spawnSync(process.execPath, [bin, 'list', '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(3);
    expect(bad.stderr).toBe("virtio-net-conformance: list: Unknown option '--nope'. See 'virtio-net-conformance list --help'.\n");
  });
});
