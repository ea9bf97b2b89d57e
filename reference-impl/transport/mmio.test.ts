import { describe, expect, it } from 'vitest';
import { featureMask, featureWord } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_NOTIF_CONFIG_DATA,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../specs/features/reserved.js';
import { type MmioRegister, virtio_mmio_registers } from '../../specs/transport/mmio.js';
import { FAKE_DEVICE_ID, FAKE_OFFERED_FEATURES, FakeBackend, type FakeBackendOptions } from '../device/fake-backend.js';
import { VirtioDevice } from '../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { PackedDriverQueue } from '../virtqueue/packed-driver.js';
import { allocatePackedRing, allocateSplitRing, type VirtqueueLayout } from '../virtqueue/queue-config.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import { VirtioMmio } from './mmio.js';
import type { MmioInterrupt } from './register-access.js';

function setup(backendOptions: FakeBackendOptions = {}) {
  const mem = new GuestMemory(1 << 20);
  const backend = new FakeBackend(backendOptions);
  const device = new VirtioDevice(backend, mem);
  const mmio = new VirtioMmio(device);
  const interrupts: MmioInterrupt[] = [];
  mmio.onInterrupt((i) => interrupts.push(i));
  const r = (name: MmioRegister): number => mmio.read(virtio_mmio_registers.fields[name].offset, 4);
  const w = (name: MmioRegister, value: number): void => mmio.write(virtio_mmio_registers.fields[name].offset, 4, value);
  const negotiate = (features: bigint): number => {
    w('Status', 0);
    w('Status', 1);
    w('Status', 3);
    for (let sel = 0; sel < 3; sel++) {
      w('DriverFeaturesSel', sel);
      w('DriverFeatures', featureWord(features, sel));
    }
    w('Status', 0x0b);
    return r('Status');
  };
  const setupQueue = (layout: VirtqueueLayout, index: number): void => {
    w('QueueSel', index);
    expect(r('QueueReady')).toBe(0);
    w('QueueSize', layout.size);
    w('QueueDescLow', layout.descAddr);
    w('QueueDescHigh', 0);
    w('QueueDriverLow', layout.driverAddr);
    w('QueueDriverHigh', 0);
    w('QueueDeviceLow', layout.deviceAddr);
    w('QueueDeviceHigh', 0);
    w('QueueReady', 1);
  };
  return { mem, alloc: new GuestAllocator(mem, 0x1000), backend, device, mmio, interrupts, r, w, negotiate, setupQueue };
}

const V1 = featureMask(VIRTIO_F_VERSION_1);
const clauses = (device: VirtioDevice) => device.events.ofKind('driver-violation').map((e) => e.clause);

describe('virtio-mmio registers', () => {
  it('identifies itself (`mmio.reg.device.1`, `.2`)', () => {
    const { r } = setup();
    expect([r('MagicValue'), r('Version'), r('DeviceID'), r('VendorID')]).toEqual([0x74726976, 2, FAKE_DEVICE_ID, 0x1af4]);
  });

  it('full init sequence: features, FEATURES_OK, queues, DRIVER_OK, notify, InterruptStatus / InterruptACK', () => {
    const { r, w, negotiate, setupQueue, alloc, mem, backend, interrupts, mmio } = setup();
    const words = [0, 1, 2].map((sel) => {
      w('DeviceFeaturesSel', sel);
      return r('DeviceFeatures');
    });
    expect(words).toEqual([featureWord(FAKE_OFFERED_FEATURES, 0), featureWord(FAKE_OFFERED_FEATURES, 1), 0]);
    expect(negotiate(V1 | featureMask(VIRTIO_F_EVENT_IDX))).toBe(0x0b);
    w('QueueSel', 0);
    expect(r('QueueSizeMax')).toBe(256);
    w('QueueSel', 2);
    expect(r('QueueSizeMax')).toBe(0);
    const layout = allocateSplitRing(alloc, 16);
    setupQueue(layout, 0);
    expect(r('QueueReady')).toBe(1);
    setupQueue(allocateSplitRing(alloc, 8), 1);
    w('Status', 0x0f);
    expect(r('Status')).toBe(0x0f);
    const driver = new SplitDriverQueue<number>(mem, { ...layout, eventIdx: true });
    driver.addSgs([], [{ addr: alloc.alloc(64), len: 64 }], 5);
    expect(driver.kickPrepare()).toBe(true);
    w('QueueNotify', 0);
    expect(backend.calls).toContain('notify 0 0x0');
    expect(r('InterruptStatus')).toBe(1);
    expect(interrupts).toEqual([{ kind: 'line', asserted: true, interruptStatus: 1 }]);
    w('InterruptACK', 1);
    expect(r('InterruptStatus')).toBe(0);
    expect(interrupts.at(-1)).toEqual({ kind: 'line', asserted: false, interruptStatus: 0 });
    expect(mmio.lineAsserted).toBe(false);
    const used = driver.getUsed();
    expect(used !== null && used.kind === 'used' ? [used.token, used.len] : used).toEqual([5, 0]);
  });

  it('runs a packed ring of a non-power-of-2 size', () => {
    const { r, w, negotiate, setupQueue, alloc, mem, backend } = setup();
    expect(negotiate(V1 | featureMask(VIRTIO_F_RING_PACKED))).toBe(0x0b);
    const layout = allocatePackedRing(alloc, 12);
    setupQueue(layout, 1);
    expect(r('QueueReady')).toBe(1);
    w('Status', 0x0f);
    const driver = new PackedDriverQueue<number>(mem, layout);
    for (let i = 0; i < 3; i++) driver.addSgs([{ addr: alloc.alloc(16), len: 16 }], [], i);
    w('QueueNotify', 1);
    expect(backend.completed[1]).toBe(3);
    const tokens = [0, 1, 2].map(() => {
      const u = driver.getUsed(); // a shared object: read it before the next call
      return u !== null && u.kind === 'used' ? u.token : u;
    });
    expect(tokens).toEqual([0, 1, 2]);
  });

  it('config change: ConfigGeneration moves, bit 1 is set, config reads at 0x100 in natural widths', () => {
    const { r, w, negotiate, setupQueue, alloc, backend, mmio, device } = setup();
    negotiate(V1);
    setupQueue(allocateSplitRing(alloc, 16), 0);
    w('Status', 0x0f);
    const gen = r('ConfigGeneration');
    backend.setCounter(0x01020304);
    expect(r('ConfigGeneration')).toBe(gen + 1);
    expect(r('InterruptStatus')).toBe(2);
    expect(mmio.read(0x100, 4)).toBe(0x01020304);
    expect(mmio.read(0x101, 1)).toBe(0x03);
    mmio.write(0x104, 2, 0xbeef);
    expect(mmio.read(0x104, 4)).toBe(0xbeef);
    expect(device.counters.registerErrors).toBe(0);
  });

  it('InterruptACK clears only the bits written; undefined bits are reported (`mmio.reg.driver.20`)', () => {
    const { r, w, negotiate, setupQueue, alloc, backend, device, interrupts } = setup();
    negotiate(V1);
    setupQueue(allocateSplitRing(alloc, 16), 0);
    w('Status', 0x0f);
    backend.setCounter(1);
    device.raiseUsedBufferNotification(0);
    expect(r('InterruptStatus')).toBe(3);
    w('InterruptACK', 1);
    expect(r('InterruptStatus')).toBe(2);
    expect(interrupts).toHaveLength(1);
    w('InterruptACK', 0x6);
    expect(r('InterruptStatus')).toBe(0);
    expect(clauses(device)).toEqual(['mmio.reg.driver.20']);
  });

  it('QueueReady = 0 stops the queue and reads back 0 (unlike PCI queue_enable)', () => {
    const { r, w, negotiate, setupQueue, alloc, backend, device } = setup();
    negotiate(V1);
    setupQueue(allocateSplitRing(alloc, 16), 0);
    w('Status', 0x0f);
    w('QueueSel', 0);
    w('QueueReady', 0);
    expect(r('QueueReady')).toBe(0);
    expect(backend.calls).toContain('resetQueue 0');
    expect(device.context.queue(0)).toBeUndefined();
    w('QueueNotify', 0);
    expect(backend.calls.filter((c) => c.startsWith('notify'))).toEqual([]);
    setupQueue(allocateSplitRing(alloc, 32), 0);
    expect(device.context.queue(0)?.size).toBe(32);
    expect(device.events.ofKind('queue-stopped')).toEqual([{ kind: 'queue-stopped', queue: 0 }]);
  });

  it('counts misaligned and narrow control accesses: reads return 0, writes are ignored (`mmio.reg.driver.4`)', () => {
    const { mmio, device } = setup();
    expect(mmio.read(0x000, 2)).toBe(0);
    expect(mmio.read(0x002, 4)).toBe(0);
    mmio.write(0x070, 1, 1);
    expect(device.status).toBe(0);
    expect(device.counters.registerErrors).toBe(3);
    expect(clauses(device)).toEqual(['mmio.reg.driver.4', 'mmio.reg.driver.4', 'mmio.reg.driver.4']);
  });

  it('refuses reads of write-only, writes of read-only, legacy and undocumented registers', () => {
    const { r, w, mmio, device } = setup();
    expect(r('QueueSel')).toBe(0);
    w('MagicValue', 1);
    expect(r('QueuePFN')).toBe(0);
    expect(mmio.read(0x0f0, 4)).toBe(0);
    expect(clauses(device)).toEqual(['mmio.reg.driver.3', 'mmio.reg.driver.2', 'mmio.reg.driver.1', 'mmio.reg.driver.1']);
    expect(device.counters.registerErrors).toBe(4);
  });

  it('reset clears InterruptStatus and QueueReady (`mmio.reg.device.5`)', () => {
    const { r, w, negotiate, setupQueue, alloc, backend, mmio } = setup();
    negotiate(V1);
    setupQueue(allocateSplitRing(alloc, 16), 0);
    w('Status', 0x0f);
    backend.setCounter(1);
    w('Status', 0);
    expect([r('Status'), r('InterruptStatus'), r('QueueReady'), mmio.lineAsserted]).toEqual([0, 0, 0, false]);
  });

  it('QueueReset resets one queue with RING_RESET (`mmio.reg.device.10`, `.12`)', () => {
    const { r, w, negotiate, setupQueue, alloc, backend } = setup();
    negotiate(V1 | featureMask(VIRTIO_F_RING_RESET));
    setupQueue(allocateSplitRing(alloc, 16), 1);
    w('Status', 0x0f);
    w('QueueSel', 1);
    w('QueueReset', 1);
    expect([r('QueueReset'), r('QueueReady'), r('QueueSizeMax')]).toEqual([0, 0, 64]);
    expect(backend.calls).toContain('resetQueue 1');
  });

  it('QueueSize above QueueSizeMax is reported and ignored (`mmio.reg.driver.14`)', () => {
    const { w, negotiate, device } = setup();
    negotiate(V1);
    w('QueueSel', 1);
    w('QueueSize', 128);
    expect(device.queueRegisters.readSize()).toBe(64);
    expect(clauses(device)).toEqual(['mmio.reg.driver.14']);
  });

  it('never offers NOTIF_CONFIG_DATA; shared memory registers read all-ones', () => {
    const { r, w } = setup({ offeredFeatures: FAKE_OFFERED_FEATURES | featureMask(VIRTIO_F_NOTIF_CONFIG_DATA) });
    w('DeviceFeaturesSel', 1);
    expect(r('DeviceFeatures') & (1 << (VIRTIO_F_NOTIF_CONFIG_DATA - 32))).toBe(0);
    expect([r('SHMLenLow'), r('SHMLenHigh'), r('SHMBaseLow'), r('SHMBaseHigh')]).toEqual([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
  });

  it('a ring error after DRIVER_OK sets DEVICE_NEEDS_RESET with a config interrupt', () => {
    const { r, w, negotiate, setupQueue, alloc, mem } = setup();
    negotiate(V1);
    const layout = allocateSplitRing(alloc, 16);
    setupQueue(layout, 0);
    w('Status', 0x0f);
    mem.write16(layout.descAddr + 12, 1); // desc 0 NEXT -> 0: a loop
    mem.write32(layout.descAddr, 0x8000);
    mem.write32(layout.descAddr + 8, 16);
    mem.write16(layout.driverAddr + 4, 0);
    mem.write16(layout.driverAddr + 2, 1);
    w('QueueNotify', 0);
    expect(r('Status')).toBe(0x4f);
    expect(r('InterruptStatus')).toBe(2);
  });
});
