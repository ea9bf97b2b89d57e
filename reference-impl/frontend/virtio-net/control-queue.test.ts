/**
 * The control queue as Linux lays it out (linux-driver-facts §2.1, §6.7),
 * checked from the device side of real rings, split and packed.
 */
import { describe, expect, test } from 'vitest';
import * as C from '../../../specs/net/ctrl.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import type { DeviceChain, RingFormat } from '../../virtqueue/index.js';
import { ControlQueue, type ControlQueueOptions, ctrlOk } from './control-queue.js';
import { macTablePayload, rssPayload } from './ctrl-commands.js';
import { chainShape, type DeviceRing, deviceRead, deviceWrite, type RingRig, ringRig } from './test-fixture.js';

interface Seen {
  shape: string[];
  readable: Uint8Array;
  statusBefore: number;
  indirect: boolean;
}

/** A scripted device: answers every pending command from inside the driver's wait. */
function rig(format: RingFormat, answer: (chain: DeviceChain, dev: DeviceRing, mem: GuestMemory) => void, o: ControlQueueOptions & { size?: number; indirect?: boolean } = {}) {
  const mem = new GuestMemory(1 << 20);
  const alloc = new GuestAllocator(mem, 0x1000);
  const r: RingRig = ringRig(mem, alloc, { format, size: o.size ?? 16, callback: false, ...(o.indirect === undefined ? {} : { indirect: o.indirect }) });
  const seen: Seen[] = [];
  const cq = new ControlQueue(r.vq, mem, alloc, {
    pollLimit: 3,
    ...o,
    yieldFn: async () => {
      for (let c = r.device.pop(); c !== null; c = r.device.pop()) {
        if (c.kind === 'ring-error') throw new Error(c.message);
        const status = c.addr[c.count - 1] as number;
        seen.push({ shape: chainShape(c), readable: deviceRead(mem, c), statusBefore: mem.read8(status), indirect: c.indirect });
        answer(c, r.device, mem);
      }
    },
  });
  return { mem, cq, seen, r };
}

const ok = (c: DeviceChain, d: DeviceRing, mem: GuestMemory) => {
  deviceWrite(mem, c, Uint8Array.of(C.VIRTIO_NET_OK));
  d.push(c, 1);
};

describe.each(['split', 'packed'] as const)('§6.7 control queue layout, %s ring', (format) => {
  test('§2.1 [2-byte hdr][one descriptor per payload entry][1 writable status byte preset 0xFF]', async () => {
    const { cq, seen } = rig(format, ok);
    const mac = (b: number) => Uint8Array.of(2, 0, 0, 0, 0, b);
    const out = await cq.send(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET, macTablePayload([mac(1)], [mac(2), mac(3)]));
    expect(out).toEqual({ kind: 'ok', status: 0 });
    expect(seen[0]?.shape).toEqual(['r2', 'r10', 'r16', 'w1']);
    expect(seen[0]?.statusBefore).toBe(0xff);
    const bytes = seen[0]?.readable as Uint8Array;
    expect([...bytes.subarray(0, 2)]).toEqual([C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET]);
    expect([...bytes.subarray(2, 6)]).toEqual([1, 0, 0, 0]);
    expect([...bytes.subarray(12, 16)]).toEqual([2, 0, 0, 0]);
  });

  test('§2.2 row 6: ANNOUNCE_ACK has no payload descriptor', async () => {
    const { cq, seen } = rig(format, ok);
    await cq.send(C.VIRTIO_NET_CTRL_ANNOUNCE, C.VIRTIO_NET_CTRL_ANNOUNCE_ACK, null);
    expect(seen[0]?.shape).toEqual(['r2', 'w1']);
  });

  test('§2.3 RSS_CONFIG is 4 payload descriptors: head 8, table 2n, 3, key', async () => {
    const { cq, seen } = rig(format, ok);
    const rss = { hashTypes: 0x3f, indirectionTableMask: 3, unclassifiedQueue: 0, indirectionTable: Uint16Array.of(0, 1, 0, 1), maxTxVq: 2, hashKeyLength: 40, key: new Uint8Array(40) };
    await cq.send(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_RSS_CONFIG, rssPayload(rss, true, 40));
    expect(seen[0]?.shape).toEqual(['r2', 'r8', 'r8', 'r3', 'r40', 'w1']);
    expect([...(seen[0]?.readable as Uint8Array).subarray(2, 10)]).toEqual([0x3f, 0, 0, 0, 3, 0, 0, 0]);
    expect([...(seen[0]?.readable as Uint8Array).subarray(18, 21)]).toEqual([2, 0, 40]);
  });

  test('§2.3 rss_max_key_size 0 sends a 0-byte key descriptor, which a strict device refuses (bug R4)', async () => {
    const mem = new GuestMemory(1 << 20);
    const alloc = new GuestAllocator(mem, 0x1000);
    const r = ringRig(mem, alloc, { format, size: 16, callback: false });
    const errors: string[] = [];
    const cq = new ControlQueue(r.vq, mem, alloc, {
      pollLimit: 2,
      yieldFn: async () => {
        const c = r.device.pop();
        if (c !== null && c.kind === 'ring-error') errors.push(`${c.code} desc ${c.desc}`);
      },
    });
    const rss = { hashTypes: 1, indirectionTableMask: 0, unclassifiedQueue: 0, indirectionTable: Uint16Array.of(0), maxTxVq: 1, hashKeyLength: 0, key: new Uint8Array(40) };
    const out = await cq.send(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_RSS_CONFIG, rssPayload(rss, true, 0));
    expect(out.kind).toBe('timeout');
    expect(errors[0]).toMatch(/^zero-length-descriptor desc \d+$/);
  });

  test('§2.3 HASH_CONFIG sends the 2-byte reserved field instead of a table: 13 + key bytes', async () => {
    const { cq, seen } = rig(format, ok);
    const rss = { hashTypes: 1, indirectionTableMask: 0, unclassifiedQueue: 0, indirectionTable: new Uint16Array(0), maxTxVq: 0, hashKeyLength: 40, key: new Uint8Array(40).fill(7) };
    await cq.send(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_HASH_CONFIG, rssPayload(rss, false, 40));
    expect(seen[0]?.shape).toEqual(['r2', 'r8', 'r2', 'r3', 'r40', 'w1']);
    expect(seen[0]?.readable.length).toBe(2 + 13 + 40);
  });

  test('§2.1 OK iff the status reads 0; used.len is ignored (0 or 5 make no difference)', async () => {
    for (const len of [0, 1, 5]) {
      const { cq } = rig(format, (c, d, mem) => {
        deviceWrite(mem, c, Uint8Array.of(0));
        d.push(c, len);
      });
      expect(ctrlOk(await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)]))).toBe(true);
    }
  });

  test('§2.1 a completion that never wrote the status reads 0xFF: failure', async () => {
    const { cq } = rig(format, (c, d) => d.push(c, 0));
    expect(await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)])).toEqual({ kind: 'err', status: 0xff });
  });

  test('§2.1 VIRTIO_NET_ERR is a failure', async () => {
    const { cq } = rig(format, (c, d, mem) => {
      deviceWrite(mem, c, Uint8Array.of(C.VIRTIO_NET_ERR));
      d.push(c, 1);
    });
    expect(await cq.send(C.VIRTIO_NET_CTRL_VLAN, C.VIRTIO_NET_CTRL_VLAN_ADD, [Uint8Array.of(5, 0)])).toEqual({ kind: 'err', status: 1 });
  });

  test('§2.1 no answer: the bounded wait returns a typed time-out where Linux spins forever; a late answer is discarded', async () => {
    let silent = true;
    const held: DeviceChain[] = [];
    const { cq, mem, r } = rig(format, (c, d, m) => {
      if (silent) held.push(c);
      else ok(c, d, m);
    });
    const first = await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_ALLMULTI, [Uint8Array.of(0)]);
    expect(first).toMatchObject({ kind: 'timeout', polls: 3 });
    // The device answers the old command late, with ERR, just before the next one.
    silent = false;
    const late = held[0] as DeviceChain;
    mem.write8(late.addr[late.count - 1] as number, C.VIRTIO_NET_ERR);
    r.device.push(late, 1);
    expect(await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)])).toEqual({ kind: 'ok', status: 0 });
  });
});

test('§2.1 a full ring: "Failed to add sgs for command vq: -28."', async () => {
  const { cq } = rig('split', () => {}, { size: 2 });
  const out = await cq.send(C.VIRTIO_NET_CTRL_MAC, C.VIRTIO_NET_CTRL_MAC_TABLE_SET, macTablePayload([], []));
  expect(out).toEqual({ kind: 'add-failed', reason: 'no-space', message: 'Failed to add sgs for command vq: -28.' });
});

test('§2.1 with INDIRECT_DESC the request goes out as one indirect descriptor', async () => {
  const { cq, seen } = rig('split', ok, { indirect: true });
  await cq.send(C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, [Uint8Array.of(2, 0)]);
  expect(seen[0]?.indirect).toBe(true);
  expect(seen[0]?.shape).toEqual(['r2', 'r2', 'w1']);
});

test('§4.1 the device breaking the ring while the driver waits: broken, Linux answers status == OK', async () => {
  const mem = new GuestMemory(1 << 20);
  const alloc = new GuestAllocator(mem, 0x1000);
  const r = ringRig(mem, alloc, { format: 'split', size: 8, callback: false });
  const cq = new ControlQueue(r.vq, mem, alloc, {
    pollLimit: 3,
    yieldFn: async () => {
      const c = r.device.pop();
      if (c === null || c.kind === 'ring-error') return;
      deviceWrite(mem, c, Uint8Array.of(0));
      r.device.push(c, 1);
      // Rewrite the used element's id to one past the ring: Linux "id %u out of range".
      const usedRing = r.vq.layout.deviceAddr + 4;
      mem.write32(usedRing, 99);
    },
  });
  const out = await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)]);
  expect(out.kind).toBe('broken');
  expect(out.kind === 'broken' && out.error?.code).toBe('used-id-out-of-range');
  expect(ctrlOk(out)).toBe(true);
  expect(r.vq.isBroken).toBe(true);
  expect(await cq.send(C.VIRTIO_NET_CTRL_RX, C.VIRTIO_NET_CTRL_RX_PROMISC, [Uint8Array.of(1)])).toMatchObject({ kind: 'add-failed', reason: 'broken' });
});
