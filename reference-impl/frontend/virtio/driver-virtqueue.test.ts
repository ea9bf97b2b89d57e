import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { FakeBackend } from '../../device/fake-backend.js';
import { mmioFixture, pciFixture, testDriver } from './test-fixture.js';

const BASE = featureMask(VIRTIO_F_VERSION_1, VIRTIO_F_RING_RESET);

describe('driver virtqueues over the reference device', () => {
  test.prop(
    [
      fc.constantFrom('pci', 'mmio'),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.array(fc.record({ buffers: fc.integer({ min: 1, max: 12 }), segments: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 8 }),
    ],
    { numRuns: 40 },
  )('every buffer made available comes back exactly once, through the callback, and the ring is whole again', async (bus, packed, eventIdx, indirect, batches) => {
    const offered = BASE | (packed ? featureMask(VIRTIO_F_RING_PACKED) : 0n) | (eventIdx ? featureMask(VIRTIO_F_EVENT_IDX) : 0n) | (indirect ? featureMask(VIRTIO_F_INDIRECT_DESC) : 0n);
    const backend = new FakeBackend({ offeredFeatures: offered, queueMaxSizes: [16, 16] });
    const f = bus === 'pci' ? await pciFixture(backend) : await mmioFixture(backend);
    const { driver, state } = testDriver();
    expect((await f.vdev.probe(driver)).kind).toBe('ok');
    const vq = state.vqs[0]!;
    expect(vq.format).toBe(packed ? 'packed' : 'split');
    const seen: string[] = [];
    const sent: string[] = [];
    let serial = 0;
    for (const { buffers, segments } of batches) {
      for (let b = 0; b < buffers; b++) {
        const token = `t${serial++}`;
        vq.stage.clear();
        for (let s = 0; s < segments; s++) {
          const addr = f.allocator.alloc(16, 8);
          if (s === 0) vq.stage.out(addr, 16);
          else vq.stage.in(addr, 16);
        }
        const r = vq.add(token);
        if (r.kind !== 'added') {
          expect(r.kind).toBe('no-space');
          break;
        }
        sent.push(token);
      }
      await vq.kick();
      await f.transport.synchronizeCbs();
      for (let u = vq.getBuf(); u !== null; u = vq.getBuf()) {
        if (u.kind !== 'used') throw new Error(u.message);
        seen.push(u.token);
      }
      expect(vq.enableCb()).toBe(true);
    }
    expect(seen).toEqual(sent);
    // Each kick the driver made reached the device as one notification.
    expect(f.model.events.ofKind('notification').every((e) => e.forwarded)).toBe(true);
    expect(vq.numFree).toBe(vq.size);
    expect(vq.isBroken).toBe(false);
    expect(state.callbacks.get(0) ?? 0).toBeGreaterThan(0);
    expect(f.model.events.ofKind('driver-violation')).toEqual([]);
    expect(f.model.needsResetReason).toBeNull();
  });

  it('with EVENT_IDX the driver kicks only where the device asked: after each drain the device re-arms avail_event', async () => {
    const backend = new FakeBackend({ offeredFeatures: BASE | featureMask(VIRTIO_F_EVENT_IDX), echo: false });
    const f = await pciFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'a');
    expect(vq.kickPrepare()).toBe(true);
    await vq.notify();
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'b');
    // No drain yet: avail_event is still 0 and vring_need_event(0, 2, 1) is false (`split.asupp.driver.6`).
    expect(vq.kickPrepare()).toBe(false);
    backend.drain(0);
    // The drain re-armed at avail_event = 2, so the next buffer is announced.
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'c');
    expect(vq.kickPrepare()).toBe(true);
    expect(backend.completed[0]).toBe(2);
  });

  it('a queue without a callback asks for no interrupts and is polled', async () => {
    const backend = new FakeBackend();
    const f = await pciFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const cvq = state.vqs[1]!;
    cvq.addOutbuf(f.allocator.alloc(8, 8), 8, 'cmd');
    await cvq.kick();
    await f.transport.synchronizeCbs();
    expect(f.model.events.ofKind('interrupt').filter((e) => e.queue === 1)).toEqual([]);
    expect(cvq.getBuf()).toMatchObject({ token: 'cmd' });
  });

  it('disableCb suppresses the used-buffer interrupt; enableCb reports pending work', async () => {
    const backend = new FakeBackend({ offeredFeatures: BASE });
    const f = await mmioFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.disableCb();
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'quiet');
    await vq.kick();
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBeUndefined();
    expect(vq.enableCb()).toBe(false);
    expect(vq.getBuf()).toMatchObject({ token: 'quiet' });
    expect(vq.enableCb()).toBe(true);
  });

  it('detaches unused buffers after a device reset', async () => {
    const backend = new FakeBackend({ echo: false });
    const f = await pciFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    for (const t of ['a', 'b', 'c']) vq.addInbuf(f.allocator.alloc(8, 8), 8, t);
    await f.vdev.resetDevice();
    const detached: string[] = [];
    for (let t = vq.detachUnusedBuf(); t !== null; t = vq.detachUnusedBuf()) detached.push(t);
    expect(detached.sort()).toEqual(['a', 'b', 'c']);
    expect(vq.numFree).toBe(vq.size);
  });
});
