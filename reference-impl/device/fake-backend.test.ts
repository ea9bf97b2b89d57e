/**
 * The fake device's echo datapath: every buffer completed once, and
 * available-buffer notifications re-armed after each drain, so that a
 * driver with EVENT_IDX keeps kicking (`split.asupp.device.4`) and a
 * buffer made available while notifications were off is not missed (D9).
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { featureMask } from '../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_RING_PACKED } from '../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_DRIVER_OK } from '../../specs/status.js';
import { GuestAllocator } from '../memory/guest-memory.js';
import { allocatePackedRing, allocateSplitRing } from '../virtqueue/queue-config.js';
import { PackedDriverQueue } from '../virtqueue/packed-driver.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import { createDeviceQueue, type DeviceQueueFactory } from './device-queue.js';
import { FakeBackend } from './fake-backend.js';
import { negotiate, setup, V1 } from './test-rig.js';
import type { RingFormat } from '../virtqueue/ring-error.js';

/** A live fake device with queue 0 set up in `format`, EVENT_IDX negotiated, and the driver side of that queue. */
function live(format: RingFormat, queueFactory?: DeviceQueueFactory) {
  const backend = new FakeBackend();
  const { device, mem } = setup(queueFactory === undefined ? {} : { queueFactory }, backend);
  const alloc = new GuestAllocator(mem, 0x1000);
  const features = V1 | featureMask(VIRTIO_F_EVENT_IDX) | (format === 'packed' ? featureMask(VIRTIO_F_RING_PACKED) : 0n);
  negotiate(device, features);
  const size = 16;
  const layout = format === 'split' ? allocateSplitRing(alloc, size) : allocatePackedRing(alloc, size);
  const regs = device.queueRegisters;
  regs.select = 0;
  regs.writeSize(size);
  for (const [area, addr] of [['desc', layout.descAddr], ['driver', layout.driverAddr], ['device', layout.deviceAddr]] as const) {
    regs.writeAddress(area, 0, addr);
    regs.writeAddress(area, 1, 0);
  }
  regs.enable();
  device.writeStatus(0x0b | VIRTIO_CONFIG_S_DRIVER_OK);
  const options = { ...layout, eventIdx: true };
  const driver = format === 'split' ? new SplitDriverQueue<number>(mem, options) : new PackedDriverQueue<number>(mem, options);
  const buffer = alloc.alloc(16 * 64, 16);
  return { device, backend, driver, buffer };
}

/** Collects every used token. */
function used(driver: SplitDriverQueue<number> | PackedDriverQueue<number>): number[] {
  const out: number[] = [];
  for (let u = driver.getUsed(); u !== null; u = driver.getUsed()) {
    if (u.kind !== 'used') throw new Error(u.message);
    out.push(u.token);
  }
  return out;
}

describe.each(['split', 'packed'] as const)('fake device echo, %s ring, EVENT_IDX', (format) => {
  test.prop([fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 12 })], { numRuns: 30 })(
    'every batch is kicked, completed once, and re-arms the next kick',
    (batches) => {
      const { device, backend, driver, buffer } = live(format);
      let serial = 0;
      const sent: number[] = [];
      const seen: number[] = [];
      for (const n of batches) {
        for (let i = 0; i < n; i++) {
          const r = driver.addBuffer(buffer + 16 * (serial % 64), 16, true, serial);
          expect(r.kind).toBe('added');
          sent.push(serial++);
        }
        // The device re-armed after the last drain, so every batch needs a kick.
        expect(driver.kickPrepare()).toBe(true);
        device.notify(0, 0);
        seen.push(...used(driver));
      }
      expect(seen).toEqual(sent);
      expect(backend.completed[0]).toBe(sent.length);
      expect(device.events.ofKind('notification').length).toBe(batches.length);
      expect(device.events.ofKind('driver-violation')).toEqual([]);
    },
  );

  test('a buffer made available while notifications were off is completed by the same drain (D9)', () => {
    let late: (() => void) | null = null;
    const factory: DeviceQueueFactory = (memory, f, options) => {
      const q = createDeviceQueue(memory, f, options);
      if ('kind' in q) return q;
      const enable = q.enableNotifications.bind(q);
      q.enableNotifications = () => {
        // The driver adds a buffer just before the device re-arms: it does not kick for it.
        late?.();
        late = null;
        return enable();
      };
      return q;
    };
    const { device, backend, driver, buffer } = live(format, factory);
    driver.addBuffer(buffer, 16, true, 1);
    late = () => {
      driver.addBuffer(buffer + 16, 16, true, 2);
      expect(driver.kickPrepare()).toBe(false);
    };
    expect(driver.kickPrepare()).toBe(true);
    device.notify(0, 0);
    expect(used(driver)).toEqual([1, 2]);
    expect(backend.completed[0]).toBe(2);
  });
});
