import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { FAKE_DEVICE_ID, FAKE_F_A, FAKE_F_B, FAKE_OFFERED_FEATURES, FakeBackend } from '../../device/fake-backend.js';
import { VirtioDevice as DeviceModel } from '../../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { VirtioPciModern } from '../../transport/pci-modern.js';
import { PCI_COMMAND, PCI_COMMAND_MEMORY } from './pci-capabilities.js';
import { patchedPciAccess, pciFixture, testDriver } from './test-fixture.js';
import { VirtioDriverDevice } from './virtio-driver-device.js';
import { VirtioPciModernTransport } from './virtio-pci-modern.js';

const statusTrail = (model: DeviceModel): number[] => model.events.ofKind('status-write').map((e) => e.after);
const violations = (model: DeviceModel) => model.events.ofKind('driver-violation');

describe('virtio-pci modern transport driver: probe', () => {
  it('runs the generic init sequence and negotiates the filtered feature set (`init.driver.1`)', async () => {
    const f = await pciFixture(new FakeBackend());
    const { driver, state } = testDriver();
    const r = await f.vdev.probe(driver);
    expect(r.kind).toBe('ok');
    // 0 (reset) → ACK → ACK|DRIVER → |FEATURES_OK → |DRIVER_OK
    expect(statusTrail(f.model)).toEqual([0, 1, 3, 0xb, 0xf]);
    // IN_ORDER and NOTIFICATION_DATA are offered but never kept by Linux 6.1 (§1.2); RING_RESET is the PCI transport's own.
    const expected = featureMask(FAKE_F_A, FAKE_F_B, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET);
    expect(f.vdev.features).toBe(expected);
    expect(f.model.negotiatedFeatures).toBe(expected);
    expect(f.vdev.deviceFeatures).toBe(FAKE_OFFERED_FEATURES);
    expect(f.vdev.featureWrites).toEqual([expected]);
    expect(state.probed).toBe(1);
    expect(f.model.live).toBe(true);
    expect(violations(f.model)).toEqual([]);
  });

  it('enables memory space and finds the structures through the capability list', async () => {
    const f = await pciFixture(new FakeBackend());
    expect(f.bus.readConfig(PCI_COMMAND, 2) & PCI_COMMAND_MEMORY).toBe(PCI_COMMAND_MEMORY);
    const l = f.bus.layout;
    expect(f.transport.caps.common).toMatchObject({ bar: l.virtioBar, offset: l.common.offset });
    expect(f.transport.caps.notify).toMatchObject({ offset: l.notify.offset, multiplier: l.notifyOffMultiplier });
    expect(f.transport.caps.isr.offset).toBe(l.isr.offset);
    expect(f.transport.caps.device?.offset).toBe(l.device.offset);
    expect(f.transport.caps.msix?.tableSize).toBe(l.msixVectors);
    expect(f.transport.caps.barSizes[4]).toBe(l.virtioBarSize);
    expect(f.transport.deviceId).toBe(FAKE_DEVICE_ID);
  });

  it('sets up queues with the device max or a smaller requested size, addresses as two halves', async () => {
    const f = await pciFixture(new FakeBackend({ offeredFeatures: FAKE_OFFERED_FEATURES & ~featureMask(VIRTIO_F_RING_PACKED) }));
    const { driver, state } = testDriver({ queues: [{ index: 0, callback: true }, { index: 1, size: 16, callback: true }] });
    expect((await f.vdev.probe(driver)).kind).toBe('ok');
    expect(state.vqs.map((q) => [q.size, q.sizeMax, q.format])).toEqual([
      [256, 256, 'split'],
      [16, 64, 'split'],
    ]);
    expect(f.model.events.ofKind('queue-enabled').map((e) => [e.queue, e.size, e.format])).toEqual([
      [0, 256, 'split'],
      [1, 16, 'split'],
    ]);
    const q1 = f.model.queueRegisters.at(1);
    const h = f.transport.vq(1);
    expect(q1?.areaAddress('desc')).toBe(h?.layout.descAddr);
    expect(q1?.areaAddress('driver')).toBe(h?.layout.driverAddr);
    expect(q1?.areaAddress('device')).toBe(h?.layout.deviceAddr);
  });

  it('refuses a device whose FEATURES_OK does not stick: typed -ENODEV, FAILED set (`init.driver.4a`, `init.driver.5`)', async () => {
    const f = await pciFixture(new FakeBackend());
    // FAKE_F_B without FAKE_F_A breaks the fake's dependency table, so the device clears FEATURES_OK.
    const { driver, state } = testDriver({ featureTable: [FAKE_F_B] });
    const r = await f.vdev.probe(driver);
    expect(r).toMatchObject({ kind: 'virtio-error', code: 'features-refused', errno: -19 });
    expect(state.probed).toBe(0);
    expect(f.model.status & 0x80).toBe(0x80);
    expect(f.model.status & 0x08).toBe(0);
    expect(f.model.status & 0x04).toBe(0);
  });

  it('refuses a device without VERSION_1 before writing features (`features.driver.5`)', async () => {
    const f = await pciFixture(new FakeBackend({ offeredFeatures: featureMask(FAKE_F_A) }));
    const r = await f.vdev.probe(testDriver().driver);
    expect(r).toMatchObject({ code: 'version-1-missing', errno: -22 });
    expect(f.model.events.ofKind('feature-write')).toEqual([]);
    expect(f.model.status).toBe(0x83);
  });

  it('writes the features again when validate clears a bit; the last write wins', async () => {
    const f = await pciFixture(new FakeBackend());
    const { driver } = testDriver({
      validate: async (dev) => {
        dev.clearFeature(FAKE_F_B);
        return null;
      },
    });
    expect((await f.vdev.probe(driver)).kind).toBe('ok');
    expect(f.vdev.featureWrites).toHaveLength(2);
    expect(f.vdev.hasFeature(FAKE_F_B)).toBe(false);
    expect(f.model.negotiatedFeatures & featureMask(FAKE_F_B)).toBe(0n);
  });

  it('keeps IN_ORDER and NOTIFICATION_DATA when asked to, and kicks with the notification data word (2.9)', async () => {
    const backend = new FakeBackend({ offeredFeatures: FAKE_OFFERED_FEATURES & ~featureMask(VIRTIO_F_RING_PACKED) });
    const f = await pciFixture(backend, { core: { extraTransportFeatures: featureMask(VIRTIO_F_IN_ORDER, VIRTIO_F_NOTIFICATION_DATA) } });
    const { driver, state } = testDriver();
    expect((await f.vdev.probe(driver)).kind).toBe('ok');
    expect(f.vdev.hasFeature(VIRTIO_F_NOTIFICATION_DATA)).toBe(true);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(64, 8), 64, 'x');
    expect(await vq.kick()).toBe(true);
    // Split: next_off = avail idx (1) in bits 16..30, vq index 0 in bits 0..15 (facts.md §10).
    expect(backend.calls).toContain('notify 0 0x10000');
    expect(violations(f.model)).toEqual([]);
  });

  it('refuses a queue whose max size is not a power of 2 (Linux "bad queue size"), for either ring format', async () => {
    for (const packed of [false, true]) {
      const offered = packed ? FAKE_OFFERED_FEATURES : FAKE_OFFERED_FEATURES & ~featureMask(VIRTIO_F_RING_PACKED);
      const f = await pciFixture(new FakeBackend({ queueMaxSizes: [100, 64], offeredFeatures: offered }));
      const r = await f.vdev.probe(testDriver().driver);
      // Only a split ring's odd queue_size breaks a device rule; for a packed ring the refusal is Linux's own.
      expect(r).toMatchObject({ code: 'queue-size-invalid', errno: -22, clauses: packed ? [] : ['pci.common.device.15'] });
      expect(f.model.status & 0x80).toBe(0x80);
    }
  });

  it('refuses a queue that does not exist (-ENOENT)', async () => {
    const f = await pciFixture(new FakeBackend());
    const r = await f.vdev.probe(testDriver({ queues: [{ index: 2, callback: true }] }).driver);
    expect(r).toMatchObject({ code: 'queue-unavailable' });
  });
});

describe('virtio-pci modern transport driver: interrupts', () => {
  it('MSI-X: one vector for config and one per queue with a callback; none for a polled queue', async () => {
    const f = await pciFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    expect(f.transport.mode).toBe('msix-per-vq');
    expect(f.bus.configVector).toBe(0);
    expect(f.bus.queueVectorTable).toEqual([1, VIRTIO_MSI_NO_VECTOR]);
    expect(state.vqs.map((q) => q.vector)).toEqual([1, -1]);
  });

  it('notify → echo → used-buffer interrupt → callback → getBuf round trip (MSI-X)', async () => {
    const f = await pciFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    const addr = f.allocator.alloc(256, 8);
    expect(vq.addInbuf(addr, 256, 'rx0')).toEqual({ kind: 'added' });
    expect(await vq.kick()).toBe(true);
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
    expect(f.transport.stats).toMatchObject({ msix: 1, intx: 0, isrReads: 0 });
    const used = vq.getBuf();
    expect(used).toMatchObject({ kind: 'used', token: 'rx0', len: 0 });
    expect(vq.getBuf()).toBeNull();
    // No ISR reads with MSI-X (`pci.isr.driver.1`).
    expect(f.model.events.ofKind('isr-read')).toEqual([]);
  });

  it('INTx: reads the ISR to find out why, and the read deasserts the line (`pci.isr.device.5`)', async () => {
    const f = await pciFixture(new FakeBackend(), { interruptModes: ['intx'] });
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    expect(f.transport.mode).toBe('intx');
    expect(f.bus.queueVectorTable).toEqual([VIRTIO_MSI_NO_VECTOR, VIRTIO_MSI_NO_VECTOR]);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(64, 8), 64, 'a');
    await vq.kick();
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
    expect(f.model.events.ofKind('isr-read').map((e) => e.value)).toEqual([1]);
    expect(f.bus.intxAsserted).toBe(false);
    expect(vq.getBuf()).toMatchObject({ token: 'a' });
  });

  it('falls back to a shared queue vector, then to INTx, when the MSI-X table is too small (`pci.msix.driver.6`)', async () => {
    const twoCallbacks = [
      { index: 0, callback: true },
      { index: 1, callback: true },
    ];
    const shared = await pciFixture(new FakeBackend(), { pci: { msixVectors: 2 } });
    const a = testDriver({ queues: twoCallbacks });
    expect((await shared.vdev.probe(a.driver)).kind).toBe('ok');
    expect(shared.transport.mode).toBe('msix-shared');
    expect(shared.bus.queueVectorTable).toEqual([1, 1]);
    a.state.vqs[1]!.addInbuf(shared.allocator.alloc(8, 8), 8, 't');
    await a.state.vqs[1]!.kick();
    await shared.transport.synchronizeCbs();
    expect(a.state.callbacks.get(1)).toBe(1);
    expect(a.state.callbacks.get(0)).toBeUndefined();

    const none = await pciFixture(new FakeBackend(), { pci: { msixVectors: 0 } });
    const b = testDriver({ queues: twoCallbacks });
    expect((await none.vdev.probe(b.driver)).kind).toBe('ok');
    expect(none.transport.mode).toBe('intx');
    expect(none.transport.caps.msix).toBeNull();
    expect(violations(shared.model)).toEqual([]);
    expect(violations(none.model)).toEqual([]);
  });

  it('treats a config vector that reads back NO_VECTOR as a failure and ends up on INTx (`pci.msix.driver.5`)', async () => {
    const memory = new GuestMemory(1 << 20);
    const model = new DeviceModel(new FakeBackend(), memory);
    const bus = new VirtioPciModern(model);
    const configVector = bus.layout.common.offset + 0x10;
    const access = patchedPciAccess(bus, (_o, _w, v) => v, (bar, offset, v) => (bar === 4 && offset === configVector ? VIRTIO_MSI_NO_VECTOR : v));
    const t = await VirtioPciModernTransport.probe(access, { memory, allocator: new GuestAllocator(memory, 0x1000) });
    if (t.kind !== 'ok') throw new Error(t.message);
    const vdev = new VirtioDriverDevice(t.value);
    const { driver, state } = testDriver();
    expect((await vdev.probe(driver)).kind).toBe('ok');
    expect(t.value.mode).toBe('intx');
    expect(bus.msix?.enabled).toBe(false);
    state.vqs[0]!.addInbuf(0x8000, 8, 'v');
    await state.vqs[0]!.kick();
    await t.value.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
  });

  it.each([0, 4, 16])('notifies at cap offset + queue_notify_off × multiplier (multiplier %i)', async (notifyOffMultiplier) => {
    const f = await pciFixture(new FakeBackend(), { pci: { notifyOffMultiplier } });
    const { driver, state } = testDriver({ queues: [{ index: 0, callback: true }, { index: 1, callback: true }] });
    await f.vdev.probe(driver);
    expect(f.transport.vq(1)?.notifyOffset).toBe(f.bus.layout.notify.offset + notifyOffMultiplier);
    const vq = state.vqs[1]!;
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'n');
    await vq.kick();
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(1)).toBe(1);
    expect(f.model.events.ofKind('notification').map((e) => e.queue)).toEqual([1]);
    expect(violations(f.model)).toEqual([]);
  });

  it('delivers config changes on the config vector, holding those before config enable (§1.1 step 10)', async () => {
    const backend = new FakeBackend();
    const f = await pciFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    backend.setCounter(7);
    await f.transport.synchronizeCbs();
    expect(state.configChanged).toBe(1);
    expect(await f.vdev.cread32(0)).toBe(7);
    f.vdev.configDisable();
    backend.setCounter(8);
    await f.transport.synchronizeCbs();
    expect(state.configChanged).toBe(1);
    f.vdev.configEnable();
    expect(state.configChanged).toBe(2);
  });

  it('delivers config changes over INTx through ISR bit 1', async () => {
    const backend = new FakeBackend();
    const f = await pciFixture(backend, { interruptModes: ['intx'] });
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    backend.setCounter(1);
    await f.transport.synchronizeCbs();
    expect(state.configChanged).toBe(1);
    expect(f.model.events.ofKind('isr-read').map((e) => e.value)).toEqual([2]);
  });
});

describe('virtio-pci modern transport driver: teardown and queue reset', () => {
  it('remove: the driver resets, vectors are unmapped, MSI-X disabled, ACKNOWLEDGE set again', async () => {
    const f = await pciFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    await f.vdev.remove();
    expect(state.removed).toBe(1);
    expect(f.model.status).toBe(1);
    expect(f.vdev.warnings).toEqual([]);
    expect(f.bus.configVector).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(f.bus.msix?.enabled).toBe(false);
    expect(f.transport.vqs).toEqual([]);
    // A second probe reuses the ring memory.
    const next = f.allocator.next;
    expect((await f.vdev.probe(testDriver().driver)).kind).toBe('ok');
    expect(f.allocator.next).toBe(next);
    expect(violations(f.model)).toEqual([]);
  });

  it('remove with a driver that does not reset is reported (Linux WARN)', async () => {
    const f = await pciFixture(new FakeBackend());
    await f.vdev.probe(testDriver({ resetOnRemove: false }).driver);
    await f.vdev.remove();
    expect(f.vdev.warnings).toEqual(['Driver should have reset device']);
  });

  it('per-queue reset recycles unused buffers and re-enables the queue (`pci.common.driver.7`, `vqreset.driver.1`)', async () => {
    const backend = new FakeBackend({ echo: false });
    const f = await pciFixture(backend, { device: { queueResetDelayReads: 3 } });
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(32, 8), 32, 'stale');
    await vq.kick();
    const recycled: string[] = [];
    expect(await vq.reset((t) => recycled.push(t))).toEqual({ kind: 'ok', value: undefined });
    expect(recycled).toEqual(['stale']);
    expect(backend.calls).toContain('resetQueue 0');
    expect(f.model.events.ofKind('queue-reset').at(-1)).toMatchObject({ queue: 0, complete: true });
    expect(f.model.queueRegisters.at(0)?.enabled).toBe(true);
    expect(f.bus.queueVectorTable[0]).toBe(1);
    vq.addInbuf(f.allocator.alloc(32, 8), 32, 'fresh');
    await vq.kick();
    backend.drain(0);
    await f.transport.synchronizeCbs();
    expect(vq.getBuf()).toMatchObject({ token: 'fresh' });
    expect(violations(f.model)).toEqual([]);
  });

  it('per-queue reset without RING_RESET is refused', async () => {
    const f = await pciFixture(new FakeBackend({ offeredFeatures: FAKE_OFFERED_FEATURES & ~featureMask(VIRTIO_F_RING_RESET) }));
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    expect(await state.vqs[0]!.reset()).toMatchObject({ code: 'queue-reset-failed', errno: -2 });
  });

  it('waits for a slow reset to read 0 before going on (`pci.common.driver.5`)', async () => {
    const f = await pciFixture(new FakeBackend(), { device: { resetDelayReads: 3 } });
    f.model.writeStatus(1);
    expect((await f.vdev.probe(testDriver().driver)).kind).toBe('ok');
    expect(violations(f.model)).toEqual([]);
  });

  it('a reset that never completes is a typed timeout, not a hang', async () => {
    const f = await pciFixture(new FakeBackend(), { device: { resetDelayReads: 50 }, resetPollLimit: 10 });
    f.model.writeStatus(1);
    const r = await f.vdev.probe(testDriver().driver);
    expect(r).toMatchObject({ code: 'reset-timeout' });
  });
});
