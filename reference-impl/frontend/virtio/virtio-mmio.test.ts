import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_MMIO_DEVICE_ID, VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_VERSION } from '../../../specs/transport/mmio.js';
import { FAKE_DEVICE_ID, FAKE_F_A, FAKE_F_B, FakeBackend } from '../../device/fake-backend.js';
import { VirtioDevice as DeviceModel } from '../../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { VirtioMmio } from '../../transport/mmio.js';
import type { MmioRegisterAccess } from '../../transport/register-access.js';
import { mmioFixture, testDriver } from './test-fixture.js';
import { VirtioMmioTransport } from './virtio-mmio.js';

const violations = (model: DeviceModel) => model.events.ofKind('driver-violation');

/** An MMIO seam whose reads pass through `patch` and whose accesses are logged. */
function patched(bus: VirtioMmio, patch: (offset: number, value: number) => number, log: string[] = []): MmioRegisterAccess {
  return {
    read: (offset, width) => {
      log.push(`r ${offset.toString(16)}`);
      return patch(offset, bus.read(offset, width));
    },
    write: (offset, width, value) => {
      log.push(`w ${offset.toString(16)}`);
      bus.write(offset, width, value);
    },
    onInterrupt: (listener) => bus.onInterrupt(listener),
  };
}

describe('virtio-mmio transport driver', () => {
  it('probes, negotiates and sets up queues with only aligned 32-bit control accesses (`mmio.reg.driver.4`)', async () => {
    const f = await mmioFixture(new FakeBackend());
    const { driver, state } = testDriver({ queues: [{ index: 0, callback: true }, { index: 1, size: 8, callback: true }] });
    expect((await f.vdev.probe(driver)).kind).toBe('ok');
    expect(f.model.events.ofKind('status-write').map((e) => e.after)).toEqual([0, 1, 3, 0xb, 0xf]);
    expect(f.vdev.features).toBe(
      featureMask(FAKE_F_A, FAKE_F_B, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_F_VERSION_1, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET),
    );
    expect(f.transport.deviceId).toBe(FAKE_DEVICE_ID);
    expect(f.transport.vendorId).toBe(0x1af4);
    expect(state.vqs.map((q) => [q.index, q.size, q.format])).toEqual([
      [0, 256, 'packed'],
      [1, 8, 'packed'],
    ]);
    expect(f.model.queueRegisters.at(1)?.areaAddress('device')).toBe(f.transport.vq(1)?.layout.deviceAddr);
    expect(f.model.counters.registerErrors).toBe(0);
    expect(violations(f.model)).toEqual([]);
  });

  it('round trip: QueueNotify → echo → InterruptStatus read and acknowledged → callback (`mmio.notif.driver.1..3`)', async () => {
    const f = await mmioFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    const seg = f.allocator.alloc(128, 8);
    expect(vq.addSgs([{ addr: seg, len: 16 }], [{ addr: seg + 16, len: 112 }], 'req')).toEqual({ kind: 'added' });
    expect(await vq.kick()).toBe(true);
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
    expect(vq.getBuf()).toMatchObject({ kind: 'used', token: 'req', len: 0 });
    expect(f.model.events.ofKind('interrupt-ack')).toEqual([{ kind: 'interrupt-ack', value: 1, remaining: 0 }]);
    expect(f.bus.lineAsserted).toBe(false);
    expect(f.transport.stats).toMatchObject({ handled: 1, spurious: 0 });
  });

  it('handles a config change raised while a queue interrupt is pending (`pci.cfgnotif.driver.1` analogue)', async () => {
    const backend = new FakeBackend({ echo: false });
    const f = await mmioFixture(backend);
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'x');
    await vq.kick();
    backend.drain(0);
    backend.setCounter(3);
    expect(f.bus.interruptStatus).toBe(3);
    await f.transport.synchronizeCbs();
    expect(state.callbacks.get(0)).toBe(1);
    expect(state.configChanged).toBe(1);
    expect(f.bus.interruptStatus).toBe(0);
  });

  it('delVqs stops each queue with QueueReady = 0 and reads it back (`mmio.reg.driver.16`, `.17`)', async () => {
    const f = await mmioFixture(new FakeBackend());
    await f.vdev.probe(testDriver().driver);
    await f.vdev.delVqs();
    expect(f.model.events.ofKind('queue-stopped').map((e) => e.queue)).toEqual([0, 1]);
    expect(f.transport.stats.stopNotAcknowledged).toBe(0);
    expect(f.vdev.vqs).toEqual([]);
  });

  it('remove: reset, queues stopped, ACKNOWLEDGE again', async () => {
    const f = await mmioFixture(new FakeBackend());
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    await f.vdev.remove();
    expect(state.removed).toBe(1);
    expect(f.model.status).toBe(1);
    expect(f.transport.vqs).toEqual([]);
    expect(violations(f.model)).toEqual([]);
  });

  it('per-queue reset through QueueReset (`mmio.reg.driver.21`, `.22`)', async () => {
    const backend = new FakeBackend({ echo: false });
    const f = await mmioFixture(backend, { device: { queueResetDelayReads: 2 } });
    const { driver, state } = testDriver();
    await f.vdev.probe(driver);
    const vq = state.vqs[0]!;
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'old');
    const recycled: string[] = [];
    expect((await vq.reset((t) => recycled.push(t))).kind).toBe('ok');
    expect(recycled).toEqual(['old']);
    expect(f.model.queueRegisters.at(0)?.enabled).toBe(true);
    vq.addInbuf(f.allocator.alloc(8, 8), 8, 'new');
    await vq.kick();
    backend.drain(0);
    await f.transport.synchronizeCbs();
    expect(vq.getBuf()).toMatchObject({ token: 'new' });
    expect(violations(f.model)).toEqual([]);
  });

  it('a split ring needs a power-of-2 maximum; a packed ring does not', async () => {
    const split = await mmioFixture(new FakeBackend({ queueMaxSizes: [100, 64], offeredFeatures: featureMask(VIRTIO_F_VERSION_1) }));
    expect(await split.vdev.probe(testDriver({ featureTable: [] }).driver)).toMatchObject({ code: 'queue-size-invalid' });
    const packed = await mmioFixture(new FakeBackend({ queueMaxSizes: [100, 64] }));
    const { driver, state } = testDriver();
    expect((await packed.vdev.probe(driver)).kind).toBe('ok');
    expect(state.vqs[0]?.size).toBe(100);
  });
});

describe('virtio-mmio transport driver: refused devices', () => {
  const setup = () => {
    const memory = new GuestMemory(1 << 20);
    const bus = new VirtioMmio(new DeviceModel(new FakeBackend(), memory));
    return { bus, opts: { memory, allocator: new GuestAllocator(memory, 0x1000) } };
  };

  it('wrong MagicValue (`mmio.reg.driver.6`)', async () => {
    const { bus, opts } = setup();
    const r = await VirtioMmioTransport.probe(patched(bus, (o, v) => (o === VIRTIO_MMIO_MAGIC_VALUE ? 0x12345678 : v)), opts);
    expect(r).toMatchObject({ code: 'bad-magic', errno: -19 });
  });

  it('legacy version 1 (`mmio.reg.driver.8`)', async () => {
    const { bus, opts } = setup();
    const r = await VirtioMmioTransport.probe(patched(bus, (o, v) => (o === VIRTIO_MMIO_VERSION ? 1 : v)), opts);
    expect(r).toMatchObject({ code: 'bad-version' });
  });

  it('placeholder DeviceID 0: stops without touching other registers (`mmio.init.driver.3`, `.4`)', async () => {
    const { bus, opts } = setup();
    const log: string[] = [];
    const r = await VirtioMmioTransport.probe(patched(bus, (o, v) => (o === VIRTIO_MMIO_DEVICE_ID ? 0 : v), log), opts);
    expect(r).toMatchObject({ code: 'bad-ids' });
    expect(log).toEqual(['r 0', 'r 4', 'r 8']);
  });
});
