import { describe, expect, it } from 'vitest';
import { featureMask } from '../../specs/features/feature-set.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK as DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED as FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET as NEEDS_RESET,
} from '../../specs/status.js';
import { GuestAllocator } from '../memory/guest-memory.js';
import { FAKE_F_A } from './fake-backend.js';
import { enableSplitQueue, negotiate, setup, V1 } from './test-rig.js';

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

describe('backend context', () => {
  it('context.violation puts a device-type violation into the core log and counter and changes nothing else', () => {
    const { device, backend, binding } = setup();
    backend.context.violation('net.cfg.driver.1', 'config write of 1 bytes at 0');
    backend.context.violation(null, 'a rule no clause names');
    expect(device.events.ofKind('driver-violation')).toEqual([
      { kind: 'driver-violation', clause: 'net.cfg.driver.1', message: 'config write of 1 bytes at 0' },
      { kind: 'driver-violation', clause: null, message: 'a rule no clause names' },
    ]);
    expect(device.counters.driverViolations).toBe(2);
    expect([device.readStatus(), device.needsResetReason, binding.log]).toEqual([0, null, []]);
  });
});
