import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { RingKind, TransportKind } from '../../checks/check.js';
import { driverContext } from '../../checks/driver-context.js';
import { Trace } from '../../checks/trace.js';
import { driverCommands, type DriverTrafficModel, driverWarmUp } from './driver-commands.js';
import { DriverSession, openDriverSession } from './driver-session.js';

async function session(transport: TransportKind, ring: RingKind, withoutFeatures: string[] = [], queueSize = 32): Promise<DriverSession> {
  const config = { transport, ring, seed: 1, numRuns: 1, timeoutMs: 10_000 };
  const { context } = driverContext(referenceDriverAdapter(), config)(new Trace());
  const s = await openDriverSession(await context.rig({ withoutFeatures, queueSize }));
  if (!(s instanceof DriverSession)) throw new Error(JSON.stringify(s));
  return s;
}

describe('openDriverSession', () => {
  test('watches every queue the driver enables, and none after the driver resets the device', async () => {
    const s = await session('pci', 'packed');
    expect(s.observers.queues).toEqual([0, 1, 2]);
    expect(s.findings).toEqual([]);
    await s.driver.remove();
    expect(s.observers.queues).toEqual([]);
  });
});

describe('the reference driver and the reference device keep every ring rule under random traffic', () => {
  test.prop(
    [
      fc.constantFrom<TransportKind>('pci', 'mmio'),
      fc.constantFrom<RingKind>('split', 'packed'),
      fc.constantFrom<[string[], number]>([[], 32], [['VIRTIO_F_EVENT_IDX'], 32], [['VIRTIO_NET_F_MRG_RXBUF'], 64], [['VIRTIO_NET_F_MRG_RXBUF', 'VIRTIO_F_INDIRECT_DESC'], 64]),
      driverCommands(20),
    ],
    { numRuns: 8 },
  )('no finding of either role', async (transport, ring, [without, size], commands) => {
    const s = await session(transport, ring, without, size);
    const model: DriverTrafficModel = { transmitted: 0, injected: 0 };
    const real = { session: s, after: () => expect(s.findings).toEqual([]) };
    await driverWarmUp(model, real);
    await fc.asyncModelRun(() => ({ model, real }), commands);
    await s.poll();
    expect(s.findings).toEqual([]);
    expect(s.received).toBeGreaterThan(0);
    expect(s.received).toBeLessThanOrEqual(model.injected);
  });
});
