/**
 * `virtqueue_resize` over both transports and both ring formats, against the
 * fake device: outstanding buffers recycled exactly once, the device
 * programmed with the new size, traffic on the new ring, Linux's errors and
 * its fall-back to the old ring.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { FakeBackend } from '../../device/fake-backend.js';
import { allocateSplitRing, SplitDriverQueue } from '../../virtqueue/index.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { type PlacedRing, VirtqueueHandle, type VirtqueueTransport } from './driver-virtqueue.js';
import { mmioFixture, pciFixture, testDriver } from './test-fixture.js';
import { ok, virtioError, type VirtioResult } from './virtio-config-ops.js';

const CASES = [
  ['pci', 'split'],
  ['pci', 'packed'],
  ['mmio', 'split'],
  ['mmio', 'packed'],
] as const;

const MAX = 64;

async function rig(bus: 'pci' | 'mmio', format: 'split' | 'packed', ringReset = true) {
  const offered =
    featureMask(VIRTIO_F_VERSION_1, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC) |
    (ringReset ? featureMask(VIRTIO_F_RING_RESET) : 0n) |
    (format === 'packed' ? featureMask(VIRTIO_F_RING_PACKED) : 0n);
  const backend = new FakeBackend({ offeredFeatures: offered, queueMaxSizes: [MAX, 16] });
  const f = bus === 'pci' ? await pciFixture(backend) : await mmioFixture(backend);
  const { driver, state } = testDriver();
  expect((await f.vdev.probe(driver)).kind).toBe('ok');
  const vq = state.vqs[0] as VirtqueueHandle<string>;
  expect({ format: vq.format, size: vq.size }).toEqual({ format, size: MAX });
  const buffers = f.allocator.alloc(16 * 4 * MAX, 16);
  let serial = 0;
  /** Adds `n` one-segment buffers; returns their tokens. */
  const post = (n: number): string[] => {
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const token = `t${serial}`;
      expect(vq.addInbuf(buffers + 16 * (serial++ % (4 * MAX)), 16, token).kind).toBe('added');
      tokens.push(token);
    }
    return tokens;
  };
  /** Fills the ring, kicks, and collects: the tokens must come back in order. */
  const traffic = async (): Promise<void> => {
    const sent = post(vq.numFree);
    expect(await vq.kick()).toBe(true);
    await f.transport.synchronizeCbs();
    const seen: string[] = [];
    for (let u = vq.getBuf(); u !== null; u = vq.getBuf()) {
      if (u.kind !== 'used') throw new Error(u.message);
      seen.push(u.token);
    }
    expect(seen).toEqual(sent);
    expect(vq.enableCb()).toBe(true);
    expect(vq.numFree).toBe(vq.size);
  };
  /** Some buffers the device used and the driver did not collect, then some the device never saw. */
  const outstanding = async (used: number, unseen: number): Promise<string[]> => {
    vq.disableCb();
    const a = post(used);
    await vq.kick();
    await f.transport.synchronizeCbs();
    return [...a, ...post(unseen)];
  };
  const enabledSizes = () => f.model.events.ofKind('queue-enabled').filter((e) => e.queue === 0).map((e) => e.size);
  return { f, backend, vq, post, traffic, outstanding, enabledSizes };
}

const sizeFor = (format: 'split' | 'packed') =>
  format === 'split' ? fc.integer({ min: 0, max: 6 }).map((k) => 2 ** k) : fc.integer({ min: 1, max: MAX });

describe.each(CASES)('resize over %s, %s ring', (bus, format) => {
  test.prop([fc.array(fc.tuple(sizeFor(format), fc.nat(8), fc.nat(8)), { minLength: 1, maxLength: 4 })], { numRuns: 10 })(
    'each resize recycles every outstanding buffer once, the device gets the new size, traffic flows',
    async (steps) => {
      const r = await rig(bus, format);
      await r.traffic();
      const expectedEnables = [MAX];
      for (const [size, used, unseen] of steps) {
        const was = r.vq.size;
        const out = await r.outstanding(Math.min(used, was), Math.min(unseen, was - Math.min(used, was)));
        const recycled: string[] = [];
        expect(await r.vq.resize(size, (t) => recycled.push(t))).toEqual(ok(undefined));
        if (size === was) {
          // Nothing to do: no reset, nothing recycled, the buffers stay; a plain queue reset clears them.
          expect({ recycled, free: r.vq.numFree, enables: r.enabledSizes().length }).toEqual({ recycled: [], free: was - out.length, enables: expectedEnables.length });
          await r.vq.reset((t) => recycled.push(t));
        }
        expectedEnables.push(size);
        expect([...recycled].sort()).toEqual([...out].sort());
        expect(new Set(recycled).size).toBe(recycled.length);
        expect({ size: r.vq.size, free: r.vq.numFree, layout: r.vq.layout.size }).toEqual({ size, free: size, layout: size });
        expect(r.enabledSizes()).toEqual(expectedEnables);
        r.vq.enableCb();
        await r.traffic();
      }
      expect(r.f.model.events.ofKind('driver-violation')).toEqual([]);
      expect(r.f.model.needsResetReason).toBeNull();
    },
  );

  it('a size used before gets the same ring memory back; a new size gets new memory', async () => {
    const r = await rig(bus, format);
    const first = r.vq.layout.descAddr;
    expect((await r.vq.resize(32, () => {})).kind).toBe('ok');
    const at32 = r.vq.layout.descAddr;
    expect(at32).not.toBe(first);
    expect((await r.vq.resize(MAX, () => {})).kind).toBe('ok');
    expect(r.vq.layout.descAddr).toBe(first);
    expect((await r.vq.resize(32, () => {})).kind).toBe('ok');
    expect(r.vq.layout.descAddr).toBe(at32);
    await r.traffic();
  });

  it('refuses without touching the device: above the maximum -E2BIG, 0 and fractions -EINVAL', async () => {
    const r = await rig(bus, format);
    const out = await r.outstanding(2, 2);
    const recycled: string[] = [];
    expect(await r.vq.resize(MAX + 1, (t) => recycled.push(t))).toMatchObject({ kind: 'virtio-error', errno: -7 });
    expect(await r.vq.resize(0, (t) => recycled.push(t))).toMatchObject({ kind: 'virtio-error', errno: -22 });
    expect(await r.vq.resize(2.5, (t) => recycled.push(t))).toMatchObject({ kind: 'virtio-error', errno: -22 });
    expect(recycled).toEqual([]);
    expect(r.backend.calls.filter((c) => c.startsWith('resetQueue'))).toEqual([]);
    expect(r.vq.numFree).toBe(MAX - out.length);
  });

  it('without VIRTIO_F_RING_RESET the transport refuses (-ENOENT) and the queue keeps its ring and buffers', async () => {
    const r = await rig(bus, format, false);
    r.post(3);
    const recycled: string[] = [];
    expect(await r.vq.resize(16, (t) => recycled.push(t))).toMatchObject({ code: 'queue-reset-failed', errno: -2 });
    expect({ recycled, size: r.vq.size, free: r.vq.numFree }).toEqual({ recycled: [], size: MAX, free: MAX - 3 });
    expect(r.f.model.events.ofKind('queue-reset')).toEqual([]);
    expect(r.f.model.events.ofKind('driver-violation')).toEqual([]);
  });

  it('no memory for the new ring: -ENOMEM after the reset, buffers recycled, the old ring re-enabled and working', async () => {
    const r = await rig(bus, format);
    const out = await r.outstanding(2, 3);
    r.f.allocator.alloc(r.f.allocator.end - r.f.allocator.next);
    const recycled: string[] = [];
    expect(await r.vq.resize(32, (t) => recycled.push(t))).toMatchObject({ code: 'out-of-memory', errno: -12 });
    expect([...recycled].sort()).toEqual([...out].sort());
    expect({ size: r.vq.size, free: r.vq.numFree }).toEqual({ size: MAX, free: MAX });
    expect(r.enabledSizes()).toEqual([MAX, MAX]);
    await r.traffic();
  });

  it(`a size that is not a power of 2: ${format === 'split' ? '-ENOMEM and the old ring, as vring_alloc_queue_split refuses it' : 'taken as it is, as 6.1 does for packed rings on either transport'}`, async () => {
    const r = await rig(bus, format);
    const out = await r.outstanding(1, 1);
    const recycled: string[] = [];
    const result = await r.vq.resize(48, (t) => recycled.push(t));
    expect([...recycled].sort()).toEqual([...out].sort());
    if (format === 'split') {
      expect(result).toMatchObject({ code: 'queue-size-invalid', errno: -12 });
      expect(r.vq.size).toBe(MAX);
      expect(r.enabledSizes()).toEqual([MAX, MAX]);
    } else {
      expect(result).toEqual(ok(undefined));
      expect(r.vq.size).toBe(48);
      expect(r.enabledSizes()).toEqual([MAX, 48]);
    }
    await r.traffic();
    expect(r.f.model.events.ofKind('driver-violation')).toEqual([]);
  });
});

describe('resize with a transport that cannot re-enable', () => {
  it('answers -EBUSY, as Linux does whatever enable_vq_after_reset returned', async () => {
    const mem = new GuestMemory(1 << 20);
    const alloc = new GuestAllocator(mem, 0x1000);
    const place = (n: number) => {
      const layout = allocateSplitRing(alloc, n);
      return { ring: new SplitDriverQueue<number>(mem, layout), layout };
    };
    const first = place(8);
    const transport: VirtqueueTransport = {
      notify: async () => true,
      resetQueue: async () => ok(undefined),
      enableQueue: async () => virtioError('io', 'register seam failed'),
      allocateRing: <T>(_vq: VirtqueueHandle<T>, n: number): VirtioResult<PlacedRing<T>> => ok(place(n) as unknown as PlacedRing<T>),
    };
    const vq = new VirtqueueHandle<number>(first.ring, { index: 0, name: 'q0', sizeMax: 8, callback: null, notificationData: false, layout: first.layout }, transport);
    vq.addOutbuf(0x100, 8, 7);
    const recycled: number[] = [];
    expect(await vq.resize(4, (t) => recycled.push(t))).toMatchObject({ code: 'io', errno: -16 });
    expect({ recycled, size: vq.size }).toEqual({ recycled: [7], size: 4 });
  });
});
