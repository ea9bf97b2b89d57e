import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask, hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET } from '../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET,
} from '../../specs/status.js';
import { GuestAllocator } from '../memory/guest-memory.js';
import { FAKE_F_A, FakeBackend } from './fake-backend.js';
import type { VirtioDevice } from './virtio-device.js';
import { enableSplitQueue, negotiate, setup, V1, writeFeatures } from './test-rig.js';

describe('queues', () => {
  it('queue_size: split takes 0 or powers of 2 up to the max; packed any 1..max', () => {
    const { device } = setup();
    device.queueRegisters.select = 1; // max 64
    device.queueRegisters.writeSize(24);
    expect(device.queueRegisters.readSize()).toBe(64);
    device.queueRegisters.writeSize(128);
    expect(device.queueRegisters.readSize()).toBe(64);
    device.queueRegisters.writeSize(16);
    expect(device.queueRegisters.readSize()).toBe(16);
    negotiate(device, V1 | featureMask(VIRTIO_F_RING_PACKED));
    device.queueRegisters.select = 1;
    device.queueRegisters.writeSize(24);
    expect(device.queueRegisters.readSize()).toBe(24);
    device.queueRegisters.writeSize(0);
    expect(device.queueRegisters.readSize()).toBe(24);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual([
      'pci.common.driver.3',
      null,
      'pci.common.driver.2',
    ]);
  });

  it('reads 0 for a queue that does not exist and reports writes to it', () => {
    const { device } = setup();
    device.queueRegisters.select = 7;
    expect(device.queueRegisters.readSize()).toBe(0);
    expect(device.queueRegisters.readSizeMax()).toBe(0);
    expect(device.queueRegisters.readEnable()).toBe(0);
    device.queueRegisters.writeSize(8);
    expect(device.counters.driverViolations).toBe(1);
  });

  it('ignores queue register writes while the queue is enabled', () => {
    const { device, mem } = setup();
    negotiate(device, V1);
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 0, 16);
    device.queueRegisters.writeSize(8);
    device.queueRegisters.writeAddress('desc', 0, 0x5000);
    expect(device.queueRegisters.readSize()).toBe(16);
    expect(device.queueRegisters.readAddress('desc', 0)).toBe(0x1000);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.common.driver.4', 'pci.common.driver.4']);
  });

  it('an unusable ring layout at DRIVER_OK sets DEVICE_NEEDS_RESET with the engine error', () => {
    const { device, binding } = setup();
    negotiate(device, V1);
    device.queueRegisters.select = 0;
    device.queueRegisters.writeSize(16);
    device.queueRegisters.writeAddress('desc', 0, 0x1001); // misaligned descriptor table
    device.queueRegisters.enable();
    device.writeStatus(0x0f);
    expect(device.readStatus() & NEEDS_RESET).toBe(NEEDS_RESET);
    const reason = device.needsResetReason;
    expect(reason?.kind === 'ring-error' ? [reason.queue, reason.error.code] : reason).toEqual([0, 'ring-address-invalid']);
    expect(binding.log).toEqual(['reset', 'config']);
  });

  it('per-queue reset with RING_RESET: reads 1 while in progress, then 0; size and addresses back to defaults', () => {
    const { device, mem, backend, binding } = setup({ queueResetDelayReads: 1 });
    negotiate(device, V1 | featureMask(VIRTIO_F_RING_RESET));
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 1, 16);
    device.writeStatus(0x0f);
    device.queueRegisters.select = 1;
    device.queueRegisters.writeReset(1);
    expect(backend.calls).toContain('resetQueue 1');
    expect(binding.log).toContain('queue-reset 1');
    expect(device.queueRegisters.readReset()).toBe(1);
    expect(device.queueRegisters.readReset()).toBe(0);
    expect(device.queueRegisters.readEnable()).toBe(0);
    expect(device.queueRegisters.readSize()).toBe(64);
    expect(device.queueRegisters.readAddress('device', 0)).toBe(0);
    expect(device.context.queue(1)).toBeUndefined();
    expect(device.events.ofKind('queue-reset').map((e) => e.complete)).toEqual([false, true]);
    // re-enable with a different size (`vqreset.device.3`)
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x20000), 1, 8);
    expect(device.context.queue(1)?.size).toBe(8);
    expect(backend.calls.at(-1)).toBe('queueEnabled 1');
  });

  it('queue reset without RING_RESET negotiated is ignored and reported', () => {
    const { device, mem } = setup();
    negotiate(device, V1);
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 0, 16);
    device.queueRegisters.writeReset(1);
    expect(device.queueRegisters.readEnable()).toBe(1);
    expect(device.counters.queueResets).toBe(0);
  });

  it('builds packed queues when RING_PACKED is negotiated, with the ring flags', () => {
    const { device, mem, backend } = setup();
    negotiate(device, V1 | featureMask(VIRTIO_F_RING_PACKED, VIRTIO_F_EVENT_IDX));
    device.queueRegisters.select = 0;
    device.queueRegisters.writeSize(10);
    device.queueRegisters.writeAddress('desc', 0, 0x1000);
    device.queueRegisters.writeAddress('driver', 0, 0x2000);
    device.queueRegisters.writeAddress('device', 0, 0x2010);
    device.queueRegisters.enable();
    device.writeStatus(0x0f);
    const q = device.context.queue(0);
    expect([q?.format, q?.size, q?.eventIdx, q?.indirect]).toEqual(['packed', 10, true, false]);
    expect(backend.calls).toContain('activate');
    void mem;
  });
});

/**
 * A net-like fake: the widest offer has rx1, tx1, rx2, tx2, ctrl; FAKE_F_A
 * plays MQ, and without it the ctrl queue moves to index 2 and 3, 4 go.
 */
function layoutBackend(ctrl: number): FakeBackend {
  const wide = [256, 128, 256, 128, ctrl];
  const narrow = [256, 128, ctrl, 0, 0];
  return new FakeBackend({ queueMaxSizes: wide, queueMaxSize: (i, f) => (hasFeature(f, FAKE_F_A) ? wide : narrow)[i] ?? -1 });
}

/** [QueueSizeMax, queue_size] of every queue. */
function sizes(device: VirtioDevice): [number, number][] {
  const q = device.queueRegisters;
  return Array.from({ length: device.numQueues }, (_, i) => {
    q.select = i;
    return [q.readSizeMax(), q.readSize()];
  });
}

/** Reset, ACK, DRIVER: ready for the driver to write features. */
function start(device: VirtioDevice): void {
  device.writeStatus(0);
  device.writeStatus(ACK);
  device.writeStatus(ACK | DRIVER);
}

const messages = (device: VirtioDevice) => device.events.ofKind('driver-violation').map((e) => [e.clause, e.message]);

describe('negotiated queue layout (`VirtioDeviceBackend.queueMaxSize`)', () => {
  it('shows the fixed sizes before FEATURES_OK and the negotiated layout after; queues outside it read 0', () => {
    const { device } = setup({}, layoutBackend(64));
    start(device);
    expect(sizes(device)).toEqual([[256, 256], [128, 128], [256, 256], [128, 128], [64, 64]]);
    writeFeatures(device, V1);
    device.writeStatus(ACK | DRIVER | FEATURES_OK);
    expect(sizes(device)).toEqual([[256, 256], [128, 128], [64, 64], [0, 0], [0, 0]]);
    expect(negotiate(device, V1 | featureMask(FAKE_F_A))).toBe(ACK | DRIVER | FEATURES_OK);
    expect(sizes(device)).toEqual([[256, 256], [128, 128], [256, 256], [128, 128], [64, 64]]);
    expect(device.numQueues).toBe(5);
    expect(device.counters.driverViolations).toBe(0);
  });

  it('bounds size writes by the negotiated max, refuses queues outside the layout and builds the queue at its new size', () => {
    const { device, mem } = setup({}, layoutBackend(64));
    negotiate(device, V1);
    const q = device.queueRegisters;
    q.select = 2;
    q.writeSize(128);
    expect(q.readSize()).toBe(64);
    q.select = 3;
    q.writeSize(8);
    q.enable();
    expect([q.readSize(), q.readEnable()]).toEqual([0, 0]);
    expect(messages(device)).toEqual([
      [null, 'queue 2: size 128 above the max 64; ignored'],
      [null, 'queue size written for queue 3, which does not exist'],
      [null, 'queue enable written for queue 3, which does not exist'],
    ]);
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 2, 64);
    device.writeStatus(ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(device.context.queue(2)?.size).toBe(64);
  });

  it('a device reset brings the fixed sizes back', () => {
    const { device } = setup({}, layoutBackend(64));
    negotiate(device, V1);
    device.writeStatus(0);
    expect(sizes(device)).toEqual([[256, 256], [128, 128], [256, 256], [128, 128], [64, 64]]);
  });

  it('an untouched queue takes a larger negotiated max as its size; one sized before FEATURES_OK keeps a size that fits', () => {
    const untouched = setup({}, layoutBackend(1024)).device;
    negotiate(untouched, V1);
    expect(sizes(untouched)[2]).toEqual([1024, 1024]);
    const early = setup({}, layoutBackend(1024)).device;
    start(early);
    early.queueRegisters.select = 2;
    early.queueRegisters.writeSize(128);
    writeFeatures(early, V1);
    early.writeStatus(ACK | DRIVER | FEATURES_OK);
    expect(sizes(early)[2]).toEqual([1024, 128]);
    expect(early.counters.driverViolations).toBe(0);
  });

  it('a queue set up before FEATURES_OK that does not fit the negotiated layout is reset and reported (`init.driver.1`)', () => {
    const { device, mem, binding } = setup({}, layoutBackend(64));
    start(device);
    const alloc = new GuestAllocator(mem, 0x1000);
    enableSplitQueue(device, mem, alloc, 0, 16);
    enableSplitQueue(device, mem, alloc, 3, 64);
    device.queueRegisters.select = 2;
    device.queueRegisters.writeSize(256);
    writeFeatures(device, V1);
    device.writeStatus(ACK | DRIVER | FEATURES_OK);
    const q = device.queueRegisters;
    q.select = 3;
    expect([q.readEnable(), q.readSize(), q.at(3)?.areaAddress('desc')]).toEqual([0, 0, 0]);
    expect(sizes(device).slice(0, 3)).toEqual([[256, 16], [128, 128], [64, 64]]);
    expect(binding.log.filter((l) => l.startsWith('queue-reset'))).toEqual(['queue-reset 2', 'queue-reset 3']);
    expect(messages(device)).toEqual([
      ['init.driver.1', 'queue 0 enabled before FEATURES_OK'],
      ['init.driver.1', 'queue 3 enabled before FEATURES_OK'],
      ['init.driver.1', 'queue 2 was set up before FEATURES_OK with size 256 but has max size 64 in the negotiated layout; reset'],
      ['init.driver.1', 'queue 3 was set up before FEATURES_OK with size 64 but does not exist in the negotiated layout; reset'],
    ]);
    device.writeStatus(ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect([device.live, device.context.queue(0)?.size, device.context.queue(3)]).toEqual([true, 16, undefined]);
  });

  const maxSize = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15 }).map((k) => 2 ** k));
  const layouts = fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(fc.array(maxSize, { minLength: n, maxLength: n }), fc.array(maxSize, { minLength: n, maxLength: n })));

  test.prop([layouts])('untouched queues read the fixed max before FEATURES_OK, the hook after, the fixed one after reset', ([fixed, negotiated]) => {
    const { device } = setup({}, new FakeBackend({ queueMaxSizes: fixed, queueMaxSize: (i) => negotiated[i] ?? -1 }));
    start(device);
    expect(sizes(device)).toEqual(fixed.map((m) => [m, m]));
    writeFeatures(device, V1);
    device.writeStatus(ACK | DRIVER | FEATURES_OK);
    expect(sizes(device)).toEqual(negotiated.map((m) => [m, m]));
    device.writeStatus(0);
    expect(sizes(device)).toEqual(fixed.map((m) => [m, m]));
  });
});
