import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED } from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';
import { deviceCommands, type DeviceTrafficModel, deviceWarmUp, testFrame } from './device-commands.js';
import { DeviceSession, type DeviceSessionOptions, RX_QUEUE, TX_QUEUE } from './device-session.js';
import { openDeviceSession } from './open-device-session.js';
import { ScriptedSplitRing } from './scripted-ring.js';

function device(transport: 'pci' | 'mmio', addFeatures: string[] = []): DeviceUnderTest {
  const created = referenceDeviceAdapter().create({ transport, addFeatures });
  if ('then' in created || created.kind !== 'created') throw new Error('the reference adapter refused');
  return created.device;
}

async function open(transport: 'pci' | 'mmio', options: DeviceSessionOptions, add: string[] = []): Promise<DeviceSession> {
  const s = await openDeviceSession(device(transport, [...add, ...(options.ring === 'packed' ? ['VIRTIO_F_RING_PACKED'] : [])]), options);
  if (!(s instanceof DeviceSession)) throw new Error(JSON.stringify(s));
  return s;
}

describe('openDeviceSession', () => {
  test.each([
    ['pci', 'split', true, true, false],
    ['mmio', 'packed', false, true, false],
    ['pci', 'packed', true, false, true],
    ['mmio', 'split', false, false, true],
  ] as const)('%s %s: EVENT_IDX %s, INDIRECT %s, IN_ORDER %s negotiated as asked', async (transport, ring, eventIdx, indirect, inOrder) => {
    const s = await open(transport, { ring, eventIdx, indirect, inOrder }, inOrder ? ['VIRTIO_F_IN_ORDER'] : []);
    const ringBits = featureMask(VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_IN_ORDER, VIRTIO_F_RING_PACKED);
    const expected =
      (eventIdx ? featureMask(VIRTIO_F_EVENT_IDX) : 0n) |
      (indirect ? featureMask(VIRTIO_F_INDIRECT_DESC) : 0n) |
      (inOrder ? featureMask(VIRTIO_F_IN_ORDER) : 0n) |
      (ring === 'packed' ? featureMask(VIRTIO_F_RING_PACKED) : 0n);
    expect(s.features & ringBits).toBe(expected);
    expect([s.rx.format, s.tx.format, s.rx.size, s.tx.size]).toEqual([ring, ring, 8, 8]);
    expect(s.observers.queues).toEqual([RX_QUEUE, TX_QUEUE]);
    expect((await s.status()) & VIRTIO_CONFIG_S_DRIVER_OK).toBe(VIRTIO_CONFIG_S_DRIVER_OK);
  });

  test('a packed ring on a device that does not offer it is not applicable', async () => {
    const s = await openDeviceSession(device('pci'), { ring: 'packed', eventIdx: true, indirect: true });
    expect(s).toEqual({ kind: 'not-applicable', reason: expect.stringContaining('VIRTIO_F_RING_PACKED') });
  });
});

describe('the harness driver and the reference device keep every ring rule under random traffic', () => {
  test.prop(
    [fc.constantFrom('pci' as const, 'mmio' as const), fc.constantFrom('split' as const, 'packed' as const), fc.boolean(), fc.boolean(), deviceCommands(30)],
    { numRuns: 12 },
  )('no finding of either role', async (transport, ring, eventIdx, indirect, commands) => {
    const s = await open(transport, { ring, eventIdx, indirect, mergeable: !indirect });
    const model: DeviceTrafficModel = { txOutstanding: 0, rxOutstanding: 0 };
    const real = { session: s, after: () => expect(s.findings).toEqual([]) };
    await deviceWarmUp(model, real);
    await fc.asyncModelRun(() => ({ model, real }), commands);
    expect(s.findings).toEqual([]);
    // The reference device uses every transmit buffer at the kick and sends every frame.
    expect(await s.reap(TX_QUEUE)).toBe(model.txOutstanding);
    expect(s.interrupts).toBeGreaterThan(0);
  });
});

describe('DeviceSession.reopen', () => {
  test('after DEVICE_NEEDS_RESET a reset and a new probe give a working device', async () => {
    const s = await open('mmio', { ring: 'split', eventIdx: false, indirect: false, queueSize: 16 });
    const ring = new ScriptedSplitRing(s.device.memory.view, s.tx.layout);
    const [d] = ring.take(1) as [number];
    ring.desc(d, { addr: s.slotAddr(TX_QUEUE, 0), len: 72, flags: 1 }, d);
    ring.publish(d);
    await s.notify(TX_QUEUE);
    expect((await s.status()) & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(await s.reopen()).toBeNull();
    expect((await s.status()) & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(0);
    const frame = testFrame(100, 9);
    expect(await s.addTx(frame, 2)).toBe(true);
    await s.kick(TX_QUEUE);
    expect((await s.device.wire.drain()).map((f) => f.bytes.length)).toEqual([100]);
    expect(s.observers.violations('device')).toEqual([]);
  });
});
