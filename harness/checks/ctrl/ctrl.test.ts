import { describe, expect, it } from 'vitest';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import { catalog } from '../../../specs/catalog/load.js';
import { referenceControl } from '../../../reference-impl/net/control-port.js';
import { mutants } from '../../mutants/ctrl/index.js';
import type { Check, RingKind, TransportKind } from '../check.js';
import type { DeviceCheckContext, RunConfig } from '../context.js';
import { deviceContext } from '../device-context.js';
import { driverContext } from '../driver-context.js';
import { runCheck } from '../runner.js';
import { ctrlAnnounceAckClears } from './config-effects.js';
import { ctrlFilterDeliversListed } from './filtering.js';
import { ctrlMqSteeringWithinPairs } from './multiqueue.js';
import { deviceChecks, driverChecks } from './index.js';

const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));
const ALL = [...deviceChecks, ...driverChecks];

function config(transport: TransportKind, ring: RingKind): RunConfig {
  return { transport, ring, seed: 0x5eed, numRuns: 100, timeoutMs: 20_000 };
}

async function onDevice(check: Check<DeviceCheckContext>, adapter = referenceDeviceAdapter()): Promise<string[]> {
  const kinds: string[] = [];
  for (const { transport, ring } of CONFIGS) {
    const cfg = config(transport, ring);
    kinds.push((await runCheck(check, adapter.name, cfg, deviceContext(adapter, cfg))).verdict.kind);
  }
  return kinds;
}

describe('ctrl checks against the references', () => {
  // The reference device offers every feature a ctrl check asks for, so every one applies and passes.
  it.each(deviceChecks.map((c) => [c.id, c] as const))('%s passes the reference device in all four configurations', async (_id, check) => {
    expect(await onDevice(check)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it.each(driverChecks.map((c) => [c.id, c] as const))('%s passes the reference driver in all four configurations', async (_id, check) => {
    const driver = referenceDriverAdapter();
    const kinds: string[] = [];
    for (const { transport, ring } of CONFIGS) {
      const cfg = config(transport, ring);
      kinds.push((await runCheck(check, driver.name, cfg, driverContext(driver, cfg))).verdict.kind);
    }
    expect(kinds).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('the announce check passes a reference device that announces at DRIVER_OK, so the bit is set and then cleared', async () => {
    expect(await onDevice(ctrlAnnounceAckClears, referenceDeviceAdapter({ name: 'announcing', config: { announceOnDriverOk: true } }))).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('a device taking the other allowed choices passes too (NEEDS_RESET on malformed commands, lax payloads, promisc off after reset, small MAC tables)', async () => {
    const other = referenceDeviceAdapter({
      name: 'other-choices',
      control: referenceControl({ onMalformed: 'needs-reset', strict: false, initialPromisc: false, macTableCapacity: 2 }),
    });
    const verdicts: Record<string, string[]> = {};
    for (const check of deviceChecks) verdicts[check.id] = await onDevice(check, other);
    expect(verdicts).toEqual(Object.fromEntries(deviceChecks.map((c) => [c.id, ['pass', 'pass', 'pass', 'pass']])));
  });

  it('a device without the needed feature makes a check not applicable, never passed', async () => {
    const noRx = referenceDeviceAdapter({ name: 'no-ctrl-rx', config: { removeFeatures: ['VIRTIO_NET_F_CTRL_RX'] } });
    expect(await onDevice(ctrlFilterDeliversListed, noRx)).toEqual(['not-applicable', 'not-applicable', 'not-applicable', 'not-applicable']);
    const noMq = referenceDeviceAdapter({ name: 'no-mq', config: { removeFeatures: ['VIRTIO_NET_F_MQ'] } });
    expect(await onDevice(ctrlMqSteeringWithinPairs, noMq)).toEqual(['not-applicable', 'not-applicable', 'not-applicable', 'not-applicable']);
  });
});

describe('ctrl mutants', () => {
  it.each(mutants.map((m) => [m.id, m] as const))('%s is caught by every check it names', async (_id, mutant) => {
    const cfg = config(mutant.transport ?? 'pci', mutant.ring ?? 'split');
    for (const id of mutant.killedBy) {
      const check = ALL.find((c) => c.id === id);
      expect(check, `${mutant.id} names ${id}`).toBeDefined();
      const verdict =
        mutant.role === 'device'
          ? (await runCheck(deviceChecks.find((c) => c.id === id)!, mutant.adapter.name, cfg, deviceContext(mutant.adapter, cfg))).verdict
          : (await runCheck(driverChecks.find((c) => c.id === id)!, mutant.adapter.name, cfg, driverContext(mutant.adapter, cfg))).verdict;
      expect(verdict.kind, `${mutant.id} vs ${id}: ${JSON.stringify(verdict)}`).toBe(check!.level.startsWith('SHOULD') ? 'non-strict' : 'fail');
    }
  });

  it('every check of the area is named by a mutant of the area', () => {
    const killed = new Set(mutants.flatMap((m) => m.killedBy));
    expect(ALL.map((c) => c.id).filter((id) => !killed.has(id))).toEqual([]);
  });

  it('every mutant names only checks of its own role, and mutant IDs are unique and say their role and area', () => {
    for (const m of mutants) {
      expect(m.id.startsWith(`${m.role}.ctrl.`), m.id).toBe(true);
      const own = (m.role === 'device' ? deviceChecks : driverChecks).map((c) => c.id);
      for (const id of m.killedBy) expect(own, `${m.id} names ${id}`).toContain(id);
    }
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
  });
});

describe('ctrl check definitions', () => {
  const clauses = catalog();

  it.each(ALL.map((c) => [c.id, c] as const))('%s cites catalog clauses, at the primary clause level', (_id, check) => {
    for (const id of check.clauses) expect(clauses.has(id), `${check.id} cites ${id}`).toBe(true);
    expect(check.level).toBe(clauses.get(check.clauses[0])?.level);
    expect(check.area).toBe('ctrl');
    expect(check.id.startsWith(`ctrl.${check.role}.`)).toBe(true);
  });

  it('check IDs are unique', () => {
    expect(new Set(ALL.map((c) => c.id)).size).toBe(ALL.length);
  });
});
