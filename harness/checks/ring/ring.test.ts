import { describe, expect, test } from 'vitest';
import { catalog } from '../../../specs/catalog/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import { mutants } from '../../mutants/ring/index.js';
import type { Check, RingKind, TransportKind } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext, RunConfig } from '../context.js';
import { deviceContext } from '../device-context.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { deviceChecks, driverChecks } from './index.js';

const CONFIGS: readonly { transport: TransportKind; ring: RingKind }[] = [
  { transport: 'pci', ring: 'split' },
  { transport: 'pci', ring: 'packed' },
  { transport: 'mmio', ring: 'split' },
  { transport: 'mmio', ring: 'packed' },
];

const config = (transport: TransportKind, ring: RingKind): RunConfig => ({ transport, ring, seed: 20240611, numRuns: 100, timeoutMs: 20_000 });

/** Checks that judge packed rings only: not applicable on split rings, passed on packed ones. */
const PACKED_ONLY = new Set(['ring.device.packed-used-wrap', 'ring.driver.packed-avail-wrap']);

const allChecks: readonly (Check<DeviceCheckContext> | Check<DriverCheckContext>)[] = [...deviceChecks, ...driverChecks];

describe('the references pass every ring check', () => {
  const device = referenceDeviceAdapter();
  const driver = referenceDriverAdapter();
  for (const { transport, ring } of CONFIGS) {
    test(`${transport}, ${ring}`, async () => {
      const c = config(transport, ring);
      const verdicts: Record<string, string> = {};
      for (const check of deviceChecks) verdicts[check.id] = (await runCheck(check, 'reference', c, deviceContext(device, c))).verdict.kind;
      for (const check of driverChecks) verdicts[check.id] = (await runCheck(check, 'reference', c, driverContext(driver, c))).verdict.kind;
      const expected = Object.fromEntries(allChecks.map((check) => [check.id, ring === 'split' && PACKED_ONLY.has(check.id) ? 'not-applicable' : 'pass']));
      expect(verdicts).toEqual(expected);
    });
  }
});

describe('every ring mutant is killed by each check it names', () => {
  for (const m of mutants) {
    test(m.id, async () => {
      const c = config(m.transport ?? 'pci', m.ring ?? 'split');
      for (const id of m.killedBy) {
        const check = allChecks.find((k) => k.id === id);
        expect(check, `${m.id} names an unknown check ${id}`).toBeDefined();
        if (check === undefined) continue;
        expect(check.role).toBe(m.role);
        const result =
          m.role === 'device'
            ? await runCheck(check as Check<DeviceCheckContext>, m.id, c, deviceContext(m.adapter, c))
            : await runCheck(check as Check<DriverCheckContext>, m.id, c, driverContext(m.adapter, c));
        const strict = check.level === 'MUST' || check.level === 'MUST NOT';
        expect(result.verdict.kind, `${id} against ${m.id}: ${JSON.stringify(result.verdict)}`).toBe(strict ? 'fail' : 'non-strict');
        // A failure carries what is needed to replay it and the steps that led to it.
        expect(result.replay?.seed).toBe(c.seed);
        expect(result.replay?.path).toMatch(/^\d+:/);
        expect(result.trace.length).toBeGreaterThan(0);
        if (result.verdict.kind === 'fail' || result.verdict.kind === 'non-strict') expect(check.clauses).toContain(result.verdict.clause);
      }
    });
  }
});

describe('a failure replays from its seed and path', () => {
  for (const id of ['device.ring.split-event-idx-off-by-one', 'driver.ring.packed-rewrites-outstanding-buffer']) {
    test(id, async () => {
      const m = mutants.find((x) => x.id === id);
      if (m === undefined) throw new Error(`no mutant ${id}`);
      const c = config(m.transport ?? 'pci', m.ring ?? 'split');
      const run = (cfg: RunConfig) =>
        m.role === 'device'
          ? runCheck(deviceChecks.find((k) => k.id === m.killedBy[0]) as Check<DeviceCheckContext>, m.id, cfg, deviceContext(m.adapter, cfg))
          : runCheck(driverChecks.find((k) => k.id === m.killedBy[0]) as Check<DriverCheckContext>, m.id, cfg, driverContext(m.adapter, cfg));
      const first = await run(c);
      const path = first.replay?.path;
      expect(path).toBeDefined();
      // The trace ends with the shrunk counterexample run, up to the observer's finding.
      const lastIndex = (prefix: string) => first.trace.map((l) => l.startsWith(prefix)).lastIndexOf(true);
      const replayAt = lastIndex('--- replay of the shrunk counterexample');
      const findingAt = lastIndex('finding ');
      if (replayAt >= 0) expect(findingAt).toBeGreaterThan(replayAt);
      expect(first.trace[findingAt]).toContain(first.verdict.kind === 'fail' ? first.verdict.observed.replace(/^queue \d+: /, '') : '');
      const again = await run({ ...c, ...(path === undefined ? {} : { path }) });
      expect(again.verdict).toEqual(first.verdict);
      expect(again.replay?.path).toBe(path);
    });
  }
});

describe('the ring catalogue of checks and mutants', () => {
  test('every check is killed by at least one mutant, and every mutant names only ring checks', () => {
    const killed = new Set(mutants.flatMap((m) => m.killedBy));
    expect(allChecks.filter((c) => !killed.has(c.id)).map((c) => c.id)).toEqual([]);
    expect([...killed].filter((id) => !allChecks.some((c) => c.id === id))).toEqual([]);
  });

  test('check and mutant IDs are unique and well formed', () => {
    expect(new Set(allChecks.map((c) => c.id)).size).toBe(allChecks.length);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    for (const c of allChecks) expect(c.id).toMatch(new RegExp(`^ring\\.${c.role}\\.[a-z0-9-]+$`));
    for (const m of mutants) expect(m.id).toMatch(new RegExp(`^${m.role}\\.ring\\.[a-z0-9-]+$`));
  });

  test('every clause exists in the catalog; the level and role are the primary clause\'s', () => {
    const cat = catalog();
    for (const check of allChecks) {
      for (const id of check.clauses) expect(cat.has(id), `${check.id} cites ${id}`).toBe(true);
      const primary = cat.get(check.clauses[0]);
      expect(check.level, check.id).toBe(primary?.level);
      expect(check.role, check.id).toBe(primary?.role);
      expect(new Set(check.clauses).size, `${check.id} repeats a clause`).toBe(check.clauses.length);
      expect(check.area).toBe('ring');
    }
  });
});
