import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../checks/runner.js';
import { main } from '../cli/main.js';
import { buildReport, type RunFacts } from './build-report.js';
import { loadExpectations } from './expectations.js';
import { renderGithubSummary } from './github-summary.js';
import { renderHtml } from './html.js';
import { mergeReports } from './merge.js';
import { reportJsonSchema, reportSchema, type Report } from './report-schema.js';

const FACTS: RunFacts = {
  version: '0.0.0', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, command: 'virtio-net-conformance run',
  target: 'reference', module: false, seed: 7, numRuns: 10, strict: false, loadErrors: [],
};

function result(check: string, verdict: CheckResult['verdict'], transport: 'pci' | 'mmio' = 'pci'): CheckResult {
  return {
    check, title: `title of ${check}`, clauses: ['split.used.device.1'], role: 'device', level: 'MUST', area: 'ring', subject: 'reference',
    config: { transport, ring: 'split', seed: 7, numRuns: 10, timeoutMs: 1000 }, verdict, trace: ['bar0 write16 0x14 = 0x1'], durationMs: 3,
    ...(verdict.kind === 'fail' ? { replay: { seed: 7, path: '0:1', counterexample: '[add(2)]' } } : {}),
  };
}

const FAIL = { kind: 'fail', clause: 'split.used.device.1', observed: 'used.idx moved by 2 with 1 outstanding <script>', expected: 'at most 1' } as const;

describe('the report', () => {
  it('is ordered, validated, and carries the replay command', () => {
    const report = buildReport([result('ring.b', { kind: 'pass' }, 'mmio'), result('ring.a', FAIL), result('ring.b', { kind: 'pass' })], FACTS);
    expect(report.results.map((r) => `${r.check}/${r.transport}`)).toEqual(['ring.a/pci', 'ring.b/pci', 'ring.b/mmio']);
    expect(report.summary).toEqual({ total: 3, byVerdict: { fail: 1, pass: 2 }, exitCode: 1 });
    expect(report.results[0]!.replay?.command).toBe('npx virtio-net-conformance run --target reference --transport pci --ring split --clause split.used.device.1 --seed 7 --path 0:1');
    expect(() => reportSchema.parse(report)).not.toThrow();
  });

  it.each([
    [[{ kind: 'pass' }], 0],
    [[{ kind: 'pass' }, FAIL], 1],
    [[{ kind: 'pass' }, { kind: 'crashed', error: 'x' }], 2],
    [[{ kind: 'not-applicable', reason: 'x' }], 2],
    [[{ kind: 'pass' }, { kind: 'non-strict', clause: 'c', observed: 'o', expected: 'e' }], 0],
  ] as const)('maps %j to exit %d', (verdicts, code) => {
    const report = buildReport(verdicts.map((v, i) => result(`c${i}`, v)), FACTS);
    expect(report.summary.exitCode).toBe(code);
  });

  it('lets a known failure pass the gate and fails an unexpected pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnc-exp-'));
    const path = join(dir, 'expectations.json');
    writeFileSync(path, JSON.stringify({ target: 'reference', expected: [{ check: 'ring.a', reason: 'known bug in the used ring', link: 'https://example.org/bug/1' }] }));
    const loaded = loadExpectations(path, new Set(['ring.a']));
    if (loaded.kind !== 'ok') throw new Error(loaded.message);
    const held = buildReport([result('ring.a', FAIL)], { ...FACTS, expectations: loaded.file });
    expect(held.summary.exitCode).toBe(0);
    expect(held.results[0]!.expected).toEqual({ reason: 'known bug in the used ring', link: 'https://example.org/bug/1', held: true });
    const fixed = buildReport([result('ring.a', { kind: 'pass' })], { ...FACTS, expectations: loaded.file });
    expect(fixed.summary.exitCode).toBe(1);
    expect(fixed.results[0]!.message).toMatch(/^expected to fail \(known bug in the used ring\) but did not/);
  });

  it('refuses malformed expectation files precisely', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnc-exp-'));
    const write = (name: string, body: unknown) => {
      writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
      return join(dir, name);
    };
    const known = new Set(['ring.a']);
    expect(loadExpectations(join(dir, 'none.json'), known)).toEqual({ kind: 'error', message: expect.stringContaining('no such file') });
    expect(loadExpectations(write('bad.json', '{'), known)).toEqual({ kind: 'error', message: expect.stringContaining('not valid JSON') });
    expect(loadExpectations(write('nolink.json', { target: 'qemu', expected: [{ check: 'ring.a', reason: 'because of a bug' }] }), known)).toEqual({ kind: 'error', message: expect.stringContaining('expected.0.link') });
    expect(loadExpectations(write('unknown.json', { target: 'qemu', expected: [{ check: 'ring.z', reason: 'because of a bug', link: 'https://x.org' }] }), known)).toEqual({ kind: 'error', message: expect.stringContaining("no check 'ring.z'") });
  });

  it('writes a JSON Schema that describes the report', () => {
    const schema = reportJsonSchema() as { type: string; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties)).toEqual(['tool', 'spec', 'run', 'summary', 'results']);
  });
});

describe('renderings', () => {
  const report: Report = buildReport([result('ring.a', FAIL), result('ring.b', { kind: 'pass' })], FACTS);

  it('the HTML page shows each failure with clause text, expectation, observation, replay and trace, escaped', () => {
    const html = renderHtml(report, { scope: 'virtio 1.3', mandatory: 340, checked: 100, unobservable: 13, unchecked: 227, byArea: [{ area: 'd split', checked: 5, unobservable: 1, unchecked: 2 }] }, 'coverage/index.html');
    expect(html).toContain('not conformant (exit 1)');
    expect(html).toContain('Used element len is written before used-&gt;idx is advanced.');
    expect(html).toContain('used.idx moved by 2 with 1 outstanding &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('--seed 7 --path 0:1');
    expect(html).toContain('bar0 write16 0x14 = 0x1');
    expect(html).toContain('<strong>100</strong> of 340 MUST/MUST NOT clauses checked');
    expect(html).toContain('href="coverage/index.html"');
  });

  it('the job summary stays within its size limit', () => {
    const many = buildReport(Array.from({ length: 3000 }, (_, i) => result(`ring.c${String(i).padStart(4, '0')}`, FAIL)), FACTS);
    const text = renderGithubSummary(many, 20_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000);
    expect(text).toMatch(/…and \d+ more failures/);
    expect(renderGithubSummary(report)).toContain('| `ring.a` | `split.used.device.1` | pci/split |');
  });

  it('merging shard reports gives the unsharded report', () => {
    const a = buildReport([result('ring.b', { kind: 'pass' })], { ...FACTS, shard: '1/2' });
    const b = buildReport([result('ring.a', FAIL)], { ...FACTS, shard: '2/2' });
    const whole = buildReport([result('ring.a', FAIL), result('ring.b', { kind: 'pass' })], FACTS);
    expect(mergeReports([a, b])).toEqual(whole);
  });
});

describe('a real run', () => {
  it('gives the same report.json for the same seed, apart from timestamps and durations', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vnc-det-')), 'r');
    const runOnce = async () => {
      const code = await main(['run', '--area', 'ring', '--transport', 'pci', '--seed', '42', '--runs', '20', '--report', dir], () => {}, () => {});
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
      return { code, report: { ...report, run: { ...report.run, startedAt: '', durationMs: 0 }, results: report.results.map((r) => ({ ...r, durationMs: 0 })) } };
    };
    const first = await runOnce();
    const second = await runOnce();
    expect(first.code).toBe(0);
    expect(first.report.results.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  }, 120_000);
});
