import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import type { AccessWidth } from '../../device/backend.js';
import { FAKE_DEVICE_ID, FAKE_OFFERED_FEATURES, FakeBackend } from '../../device/fake-backend.js';
import { mmioFixture, pciFixture, testDriver } from './test-fixture.js';
import { virtioError } from './virtio-config-ops.js';
import { filterTransportFeatures, VRING_TRANSPORT_FEATURES } from './virtio-driver-device.js';

/** A fake whose counter (config offset 0) changes `changes` times, each right after scratch (offset 4) is read. */
class ChangingBackend extends FakeBackend {
  constructor(private changes: number) {
    super();
  }
  override readConfig(offset: number, width: AccessWidth): number {
    const value = super.readConfig(offset, width);
    if (offset === 4 && this.changes > 0) {
      this.changes--;
      this.setCounter(super.readConfig(0, 4) + 1);
    }
    return value;
  }
}

describe('transport feature filtering (linux-driver-facts §1.2)', () => {
  test.prop([fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 96n) - 1n })])(
    'clears exactly the bits 28..40 nobody keeps, and nothing else',
    (features, transport) => {
      const out = filterTransportFeatures(features, transport);
      for (let bit = 0; bit < 96; bit++) {
        const inRange = bit >= 28 && bit <= 40;
        const kept = hasFeature(VRING_TRANSPORT_FEATURES, bit) || hasFeature(transport, bit);
        expect(hasFeature(out, bit)).toBe(hasFeature(features, bit) && (!inRange || kept));
      }
    },
  );

  it('keeps the Linux list and drops IN_ORDER / NOTIFICATION_DATA unless asked', () => {
    const all = featureMask(VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_IN_ORDER, VIRTIO_F_NOTIFICATION_DATA, VIRTIO_F_RING_RESET);
    expect(filterTransportFeatures(all, 0n)).toBe(featureMask(VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM));
    expect(filterTransportFeatures(all, featureMask(VIRTIO_F_RING_RESET), featureMask(VIRTIO_F_IN_ORDER))).toBe(
      featureMask(VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_RING_RESET, VIRTIO_F_IN_ORDER),
    );
  });
});

describe.each([
  ['pci', pciFixture],
  ['mmio', mmioFixture],
] as const)('virtio core over %s', (_, fixture) => {
  it('reads a 64-bit field again when the generation changed in the middle (`config.driver.2`)', async () => {
    const backend = new ChangingBackend(1);
    const f = await fixture(backend);
    await f.vdev.probe(testDriver().driver);
    const gen = f.model.configGeneration;
    // Round 1 reads counter 0, then the counter changes while scratch is read; round 2 sees counter 1.
    expect(await f.vdev.cread64(0)).toEqual({ kind: 'ok', value: [1, 0] });
    expect(f.model.configGeneration).toBe(gen + 1);
    expect(await f.vdev.creadBytes(0, 4)).toEqual({ kind: 'ok', value: Uint8Array.of(1, 0, 0, 0) });
  });

  it('gives up with a typed error on a generation that never settles', async () => {
    const f = await fixture(new ChangingBackend(1000), { core: { configRetryLimit: 5 } });
    await f.vdev.probe(testDriver().driver);
    expect(await f.vdev.cread64(0)).toMatchObject({ kind: 'virtio-error', code: 'config-unstable' });
  });

  it('writes device config after FEATURES_OK (`init.driver.3`)', async () => {
    const f = await fixture(new FakeBackend());
    await f.vdev.probe(testDriver().driver);
    expect(await f.vdev.cwrite(4, 4, 0xdeadbeef)).toEqual({ kind: 'ok', value: undefined });
    expect(await f.vdev.cread32(4)).toBe(0xdeadbeef);
    expect(await f.vdev.cread16(6)).toBe(0xdead);
    expect(await f.vdev.cread8(4)).toBe(0xef);
    expect(f.model.events.ofKind('driver-violation')).toEqual([]);
  });

  it('sets FAILED when the driver probe refuses, after FEATURES_OK', async () => {
    const f = await fixture(new FakeBackend());
    const r = await f.vdev.probe({
      name: 'refuser',
      featureTable: [],
      probe: async () => virtioError('driver-refused', 'no thanks'),
    });
    expect(r).toMatchObject({ code: 'driver-refused' });
    expect(f.model.status).toBe(0x8b);
  });

  it('sets FAILED when validate refuses, before FEATURES_OK', async () => {
    const f = await fixture(new FakeBackend());
    const r = await f.vdev.probe({ name: 'v', featureTable: [], validate: async () => virtioError('driver-refused', 'mtu'), probe: async () => null });
    expect(r).toMatchObject({ code: 'driver-refused' });
    expect(f.model.status).toBe(0x83);
  });

  it('does not bind a driver for another device type', async () => {
    const f = await fixture(new FakeBackend());
    const { driver, state } = testDriver({ deviceId: 1 });
    expect(await f.vdev.probe(driver)).toMatchObject({ code: 'bad-ids' });
    expect(state.probed).toBe(0);
    expect(f.model.status).toBe(1);
    expect((await f.vdev.probe(testDriver({ deviceId: FAKE_DEVICE_ID }).driver)).kind).toBe('ok');
  });

  it('sets DRIVER_OK once when the driver already did (virtio_device_ready)', async () => {
    const f = await fixture(new FakeBackend());
    const r = await f.vdev.probe({
      name: 'early',
      featureTable: [],
      probe: async (dev) => {
        await dev.deviceReady();
        return null;
      },
    });
    expect(r.kind).toBe('ok');
    expect(f.model.events.ofKind('status-write').filter((e) => (e.written & 4) !== 0)).toHaveLength(1);
    expect(f.vdev.warnings).toEqual([]);
  });

  it('never acks a bit the device did not offer (`features.driver.1`)', async () => {
    const offered = FAKE_OFFERED_FEATURES & ~featureMask(1);
    const f = await fixture(new FakeBackend({ offeredFeatures: offered }));
    await f.vdev.probe(testDriver({ featureTable: [0, 1, 5, 63] }).driver);
    expect(f.vdev.features & ~offered).toBe(0n);
    expect(f.vdev.hasFeature(0)).toBe(true);
  });
});

describe('broken queues (linux-driver-facts §4.1)', () => {
  it('a device writing a bad used id breaks the queue: adds, kicks, polls and getBuf fail', async () => {
    const backend = new FakeBackend({ echo: false, offeredFeatures: FAKE_OFFERED_FEATURES & ~featureMask(34) });
    const f = await pciFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(64, 8), 64, 'a');
    await vq.kick();
    // The device scribbles a used entry naming descriptor 999 and publishes it.
    const used = f.transport.vq(0)!.layout.deviceAddr;
    f.memory.write32(used + 4, 999);
    f.memory.write32(used + 8, 0);
    f.memory.write16(used + 2, 1);
    backend.context.raiseUsedBufferNotification(0);
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
    expect(vq.getBuf()).toMatchObject({ kind: 'ring-error', side: 'driver', code: 'used-id-out-of-range', id: 999 });
    expect(vq.isBroken).toBe(true);
    expect(vq.brokenBy?.code).toBe('used-id-out-of-range');
    expect(vq.getBuf()).toBeNull();
    expect(vq.addInbuf(f.allocator.alloc(8, 8), 8, 'b')).toEqual({ kind: 'broken' });
    expect(vq.addSgs([{ addr: 0x2000, len: 4 }], [], 'c')).toEqual({ kind: 'broken' });
    const notifications = f.model.events.ofKind('notification').length;
    expect(await vq.kick()).toBe(false);
    expect(await vq.notify()).toBe(false);
    expect(f.model.events.ofKind('notification')).toHaveLength(notifications);
    expect(vq.poll(vq.enableCbPrepare())).toBe(false);
    // Another interrupt is swallowed: the callback does not run again.
    backend.context.raiseUsedBufferNotification(0);
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
  });

  it('breakDevice breaks every queue (virtio_break_device)', async () => {
    const f = await mmioFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    f.vdev.breakDevice('surprise removal');
    expect(state.vqs.every((q) => q.isBroken)).toBe(true);
    expect(state.vqs[0]!.addInbuf(0x3000, 8, 'x')).toEqual({ kind: 'broken' });
    expect(await state.vqs[0]!.kick()).toBe(false);
  });
});
