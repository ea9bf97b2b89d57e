/**
 * Opens the HTML report in headless Chromium (Debian's `chromium` package) and takes a screenshot,
 * to show the page renders with its failures and coverage visible. Skipped, with the reason, where
 * Chromium is not installed (.ci/run installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../specs/catalog/package-root.js';
import type { CheckResult } from '../checks/runner.js';
import { buildReport } from './build-report.js';
import { renderHtml } from './html.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function sampleHtml(): string {
  const base = { title: 'Used entries name outstanding buffers once', role: 'device' as const, level: 'MUST' as const, area: 'ring' as const, subject: 'mutant', trace: ['bar0 write16 0x14 = 0xf', 'used.idx 0 -> 2'], durationMs: 4 };
  const results: CheckResult[] = [
    { ...base, check: 'ring.device.used-ring', clauses: ['split.used.device.1'], config: { transport: 'pci', ring: 'split', seed: 1, numRuns: 10, timeoutMs: 1000 }, verdict: { kind: 'fail', clause: 'split.used.device.1', observed: 'used.idx advanced by 2 with 1 buffer outstanding', expected: 'used.idx advances only over outstanding buffers' } },
    { ...base, check: 'ring.device.used-ring', clauses: ['split.used.device.1'], config: { transport: 'mmio', ring: 'split', seed: 1, numRuns: 10, timeoutMs: 1000 }, verdict: { kind: 'pass' } },
  ];
  const report = buildReport(results, { version: '0.1.0', startedAt: '2026-01-01T00:00:00Z', durationMs: 10, command: 'virtio-net-conformance run', target: 'reference', module: false, seed: 1, numRuns: 10, strict: false, loadErrors: [] });
  return renderHtml(report, { scope: 'virtio 1.3, areas abcdefg', mandatory: 340, checked: 200, unobservable: 13, unchecked: 127, byArea: [{ area: 'd split virtqueues', checked: 28, unobservable: 1, unchecked: 6 }] }, 'coverage/index.html');
}

describe('the HTML report in a browser', () => {
  it.skipIf(CHROMIUM === undefined)('renders, with failures and coverage visible (screenshot in reports/html-report.png)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnc-html-'));
    const page = join(dir, 'index.html');
    writeFileSync(page, sampleHtml());
    const profile = mkdtempSync(join(tmpdir(), 'vnc-chromium-'));
    const dom = execFileSync(CHROMIUM!, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dom).toContain('not conformant (exit 1)');
    expect(dom).toContain('used.idx advanced by 2 with 1 buffer outstanding');
    expect(dom).toContain('<strong>200</strong> of 340 MUST/MUST NOT clauses checked');
    const out = join(packageRoot(), 'reports');
    mkdirSync(out, { recursive: true });
    const png = join(out, 'html-report.png');
    const shot = spawnSync(CHROMIUM!, [...FLAGS, `--user-data-dir=${profile}`, '--window-size=1200,1400', `--screenshot=${png}`, `file://${page}`], { timeout: 60_000, stdio: 'ignore' });
    expect(shot.status).toBe(0);
    const bytes = readFileSync(png);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(20_000);
  }, 120_000);
});
