import { describe, expect, it } from 'vitest';
import { featureMask, featureWord } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_SR_IOV,
  VIRTIO_F_SUSPEND,
  VIRTIO_F_VERSION_1,
} from '../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED as FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET,
} from '../../specs/status.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { allocateSplitRing } from '../virtqueue/queue-config.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import type { InterruptDelivery } from './events.js';
import { FAKE_F_A, FAKE_F_B, FAKE_OFFERED_FEATURES, FakeBackend } from './fake-backend.js';
import { QEMU_FEATURE_ACCEPTANCE } from './feature-acceptance.js';
import type { TransportBinding } from './transport-binding.js';
import { CORE_UNSUPPORTED_FEATURES, VirtioDevice, type VirtioDeviceOptions } from './virtio-device.js';

/** A transport stand-in that records what the core asks of it. */
class RecordingBinding implements TransportBinding {
  readonly transport = 'pci' as const;
  readonly unsupportedFeatures = 0n;
  readonly log: string[] = [];
  deliverUsedBuffer(queue: number): InterruptDelivery {
    this.log.push(`used ${queue}`);
    return { kind: 'intx' };
  }
  deliverConfigChange(): InterruptDelivery {
    this.log.push('config');
    return { kind: 'intx' };
  }
  deviceReset(): void {
    this.log.push('reset');
  }
  queueReset(queue: number): void {
    this.log.push(`queue-reset ${queue}`);
  }
}

const V1 = featureMask(VIRTIO_F_VERSION_1);

function setup(options: VirtioDeviceOptions = {}, backend = new FakeBackend()) {
  const mem = new GuestMemory(1 << 20);
  const device = new VirtioDevice(backend, mem, options);
  const binding = new RecordingBinding();
  device.attachTransport(binding);
  return { mem, device, backend, binding };
}

function writeFeatures(device: VirtioDevice, set: bigint): void {
  for (let sel = 0; sel < 3; sel++) {
    device.driverFeatureSelect = sel;
    device.writeDriverFeatures(featureWord(set, sel));
  }
}

/** Reset, ACK, DRIVER, features, FEATURES_OK; returns the status read back. */
function negotiate(device: VirtioDevice, set: bigint): number {
  device.writeStatus(0);
  device.writeStatus(ACK);
  device.writeStatus(ACK | DRIVER);
  writeFeatures(device, set);
  device.writeStatus(ACK | DRIVER | FEATURES_OK);
  return device.readStatus();
}

/** Programs queue `index` with a split ring at fresh memory and enables it. */
function enableSplitQueue(device: VirtioDevice, mem: GuestMemory, alloc: GuestAllocator, index: number, size: number) {
  const layout = allocateSplitRing(alloc, size);
  device.queueRegisters.select = index;
  device.queueRegisters.writeSize(size);
  for (const [area, addr] of [['desc', layout.descAddr], ['driver', layout.driverAddr], ['device', layout.deviceAddr]] as const) {
    device.queueRegisters.writeAddress(area, 0, addr);
    device.queueRegisters.writeAddress(area, 1, 0);
  }
  device.queueRegisters.enable();
  return new SplitDriverQueue<number>(mem, { ...layout });
}

describe('device status', () => {
  it('runs the init sequence and activates the backend at DRIVER_OK', () => {
    const { device, backend, mem } = setup();
    expect(negotiate(device, V1 | featureMask(FAKE_F_A))).toBe(ACK | DRIVER | FEATURES_OK);
    expect(device.negotiatedFeatures).toBe(V1 | featureMask(FAKE_F_A));
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 0, 16);
    device.writeStatus(ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(device.readStatus()).toBe(0x0f);
    expect(device.live).toBe(true);
    expect(backend.calls).toEqual(['reset', 'activate']);
    expect(device.events.ofKind('activated')).toHaveLength(1);
  });

  it('reset reads 0 and clears features, queues and selects; the generation keeps counting', () => {
    const { device, mem, binding, backend } = setup();
    negotiate(device, V1);
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 1, 32);
    device.writeStatus(0x0f);
    backend.setCounter(5);
    expect(device.configGeneration).toBe(1);
    device.writeStatus(0);
    expect(device.readStatus()).toBe(0);
    expect(device.negotiatedFeatures).toBe(0n);
    expect(device.driverFeatures).toBe(0n);
    expect(device.queueRegisters.select).toBe(0);
    device.queueRegisters.select = 1;
    expect(device.queueRegisters.readEnable()).toBe(0);
    expect(device.queueRegisters.readSize()).toBe(64);
    expect(device.queueRegisters.readAddress('desc', 0)).toBe(0);
    expect(device.live).toBe(false);
    expect(device.configGeneration).toBe(1);
    expect(binding.log).toContain('reset');
    expect(backend.readConfig(0, 4)).toBe(0);
  });

  it('with resetDelayReads, status shows the old value until the reset completes; early writes are reported and ignored', () => {
    const { device } = setup({ resetDelayReads: 2 });
    device.writeStatus(ACK);
    device.writeStatus(0);
    expect(device.readStatus()).toBe(ACK);
    device.writeStatus(ACK); // too early
    expect(device.readStatus()).toBe(ACK);
    expect(device.readStatus()).toBe(0);
    const v = device.events.ofKind('driver-violation');
    expect(v.map((e) => e.clause)).toEqual(['pci.common.driver.5']);
  });

  it('keeps status bits sticky and reports a driver clearing one', () => {
    const { device } = setup();
    device.writeStatus(ACK);
    device.writeStatus(ACK | DRIVER);
    device.writeStatus(DRIVER);
    expect(device.readStatus()).toBe(ACK | DRIVER);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['status.driver.2']);
  });

  it('reports DRIVER before ACKNOWLEDGE and SUSPEND without the feature', () => {
    const { device } = setup();
    device.writeStatus(DRIVER);
    device.writeStatus(DRIVER | ACK | 16);
    expect(device.readStatus()).toBe(ACK | DRIVER);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['init.driver.1a', 'suspend.driver.1']);
  });

  it('DRIVER_OK without an accepted FEATURES_OK sets DEVICE_NEEDS_RESET with a config interrupt', () => {
    const { device, backend, binding } = setup();
    device.writeStatus(ACK | DRIVER);
    device.writeStatus(ACK | DRIVER | DRIVER_OK);
    expect(device.readStatus()).toBe(ACK | DRIVER | DRIVER_OK | NEEDS_RESET);
    expect(backend.calls).not.toContain('activate');
    expect(device.needsResetReason).toEqual({ kind: 'driver-error', clause: 'init.driver.1', message: 'DRIVER_OK without FEATURES_OK' });
    expect(binding.log).toEqual(['config']);
  });

  it('FAILED stops the device: notifications are no longer forwarded', () => {
    const { device, mem, backend } = setup();
    negotiate(device, V1);
    enableSplitQueue(device, mem, new GuestAllocator(mem, 0x1000), 0, 8);
    device.writeStatus(0x0f);
    device.writeStatus(0x0f | FAILED);
    expect(device.readStatus()).toBe(0x8f);
    expect(device.live).toBe(false);
    device.notify(0, 0);
    expect(backend.calls.filter((c) => c.startsWith('notify'))).toEqual([]);
    expect(device.counters.notificationsDropped).toBe(1);
  });
});

describe('feature negotiation', () => {
  it('shows the offered set through select windows 0, 1, 2 (bits up to 95) minus unsupported bits', () => {
    const offered = FAKE_OFFERED_FEATURES | featureMask(VIRTIO_F_SR_IOV, VIRTIO_F_SUSPEND, 70);
    const { device } = setup({}, new FakeBackend({ offeredFeatures: offered }));
    const visible = offered & ~CORE_UNSUPPORTED_FEATURES;
    const words = [0, 1, 2, 3].map((sel) => {
      device.deviceFeatureSelect = sel;
      return device.readDeviceFeatures();
    });
    expect(words).toEqual([featureWord(visible, 0), featureWord(visible, 1), 1 << 6, 0]);
    expect((words[1] as number) & (1 << (VIRTIO_F_SR_IOV - 32))).toBe(0);
  });

  it('refuses unoffered bits: FEATURES_OK reads back clear', () => {
    const { device } = setup({}, new FakeBackend({ offeredFeatures: V1 }));
    expect(negotiate(device, V1 | featureMask(VIRTIO_F_RING_PACKED))).toBe(ACK | DRIVER);
    const refused = device.events.ofKind('features-refused');
    expect(refused[0]?.refusal).toEqual({ kind: 'unoffered-bits', bits: featureMask(VIRTIO_F_RING_PACKED), clause: 'features.driver.1' });
    expect(device.counters.featuresRefused).toBe(1);
  });

  it('refuses a dependency violation reported by the backend', () => {
    const { device } = setup();
    expect(negotiate(device, V1 | featureMask(FAKE_F_B))).toBe(ACK | DRIVER);
    const refusal = device.events.ofKind('features-refused')[0]?.refusal;
    expect(refusal).toEqual({ kind: 'device-rule', reason: 'FAKE_F_B without FAKE_F_A', clauses: ['features.driver.2'] });
  });

  it('with the QEMU policy masks unoffered bits, keeps a missing VERSION_1 and an invalid set', () => {
    const { device } = setup({ featureAcceptance: QEMU_FEATURE_ACCEPTANCE }, new FakeBackend({ offeredFeatures: featureMask(FAKE_F_A, FAKE_F_B) | V1 }));
    expect(negotiate(device, featureMask(FAKE_F_B, 50))).toBe(ACK | DRIVER | FEATURES_OK);
    expect(device.negotiatedFeatures).toBe(featureMask(FAKE_F_B));
  });

  it('a scenario hook can refuse an otherwise valid subset', () => {
    const { device } = setup({ featureAcceptance: { refuse: () => 'test refusal' } });
    expect(negotiate(device, V1)).toBe(ACK | DRIVER);
    expect(device.events.ofKind('features-refused')[0]?.refusal).toEqual({ kind: 'scenario', reason: 'test refusal' });
  });

  it('ignores and counts driver feature writes after FEATURES_OK', () => {
    const { device } = setup();
    negotiate(device, V1);
    device.driverFeatureSelect = 0;
    device.writeDriverFeatures(1 << FAKE_F_A);
    expect(device.negotiatedFeatures).toBe(V1);
    expect(device.readDriverFeatures()).toBe(0);
    expect(device.counters.featureWritesIgnored).toBe(1);
    expect(device.events.ofKind('feature-write').at(-1)).toEqual({ kind: 'feature-write', select: 0, value: 1, applied: false });
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['init.driver.4']);
  });

  it('driver_feature mirrors unoffered bits, or drops them with offered-only read-back', () => {
    for (const [readback, expected] of [['mirror', 0x8000_0001], ['offered-only', 1]] as const) {
      const { device } = setup({ driverFeatureReadback: readback });
      device.writeDriverFeatures(0x8000_0001);
      expect(device.readDriverFeatures()).toBe(expected);
    }
  });
});

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

describe('notifications, interrupts and config changes', () => {
  it('echo: a kick reaches the backend, buffers come back used, and a used-buffer interrupt is raised', () => {
    const { device, mem, backend, binding } = setup();
    negotiate(device, V1);
    const alloc = new GuestAllocator(mem, 0x1000);
    const driver = enableSplitQueue(device, mem, alloc, 0, 16);
    device.writeStatus(0x0f);
    const buf = alloc.alloc(64, 16);
    driver.addSgs([{ addr: buf, len: 64 }], [], 7);
    expect(driver.kickPrepare()).toBe(true);
    device.notify(0, 0);
    expect(backend.calls).toContain('notify 0 0x0');
    const used = driver.getUsed();
    expect(used !== null && used.kind === 'used' ? [used.token, used.len] : used).toEqual([7, 0]);
    expect(binding.log).toContain('used 0');
    expect(device.events.ofKind('interrupt')).toEqual([{ kind: 'interrupt', cause: 'used-buffer', queue: 0, delivery: { kind: 'intx' } }]);
  });

  it('a notification before DRIVER_OK is reported and dropped', () => {
    const { device, backend } = setup();
    device.notify(0, 0);
    expect(backend.calls).toEqual([]);
    expect(device.events.ofKind('notification')).toEqual([{ kind: 'notification', queue: 0, data: 0, forwarded: false }]);
    expect(device.events.ofKind('driver-violation')[0]?.clause).toBe('init.driver.7');
  });

  it('used-buffer interrupts before DRIVER_OK are suppressed (`status.device.1`)', () => {
    const { device, binding } = setup();
    device.raiseUsedBufferNotification(0);
    expect(binding.log).toEqual([]);
    expect(device.counters.interruptsSuppressed).toBe(1);
  });

  it('config change bumps the generation every time; the interrupt only once DRIVER_OK is set', () => {
    const { device, backend, binding } = setup();
    backend.setCounter(1);
    expect(device.configGeneration).toBe(1);
    expect(binding.log).toEqual([]);
    negotiate(device, V1);
    device.writeStatus(0x0f);
    backend.setCounter(2);
    expect(device.configGeneration).toBe(2);
    expect(binding.log.filter((l) => l === 'config')).toHaveLength(1);
    expect(device.readConfig(0, 4)).toBe(2);
  });

  it('a ring error reported after DRIVER_OK sets DEVICE_NEEDS_RESET and raises a config interrupt', () => {
    const { device, mem, backend, binding } = setup();
    negotiate(device, V1);
    const alloc = new GuestAllocator(mem, 0x1000);
    enableSplitQueue(device, mem, alloc, 0, 16);
    device.writeStatus(0x0f);
    // avail idx jumps by more than the queue size
    const driverArea = device.queueRegisters.at(0)?.areaAddress('driver') ?? 0;
    mem.write16(driverArea + 2, 100);
    device.notify(0, 0);
    expect(device.readStatus()).toBe(0x0f | NEEDS_RESET);
    const reason = device.needsResetReason;
    expect(reason?.kind === 'ring-error' ? reason.error.code : reason).toBe('avail-idx-jump');
    expect(binding.log.at(-1)).toBe('config');
    expect(device.counters.needsReset).toBe(1);
    // later notifications are dropped
    device.notify(0, 0);
    expect(backend.calls.filter((c) => c.startsWith('notify'))).toHaveLength(1);
  });

  it('config reads past the end are all-ones; config writes before FEATURES_OK are reported', () => {
    const { device, backend } = setup();
    expect(device.readConfig(8, 2)).toBe(0xffff);
    device.writeConfig(4, 4, 0x1234);
    expect(backend.readConfig(4, 4)).toBe(0x1234);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['init.driver.3']);
  });
});
