/**
 * Transmit: header fill, descriptor layout, queue stop and kick
 * (linux-driver-facts §3.1, §6.5), seen from the device side of real rings.
 */
import { describe, expect, test } from 'vitest';
import * as N from '../../../specs/features/net.js';
import { startXmit } from './net-device-ops/start-xmit.js';
import { makeSkb, type SkbInit } from './skb.js';
import { chainShape, deviceRead, popChain, unitRig, type UnitRig } from './test-fixture.js';
import { TxArena } from './tx.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';

function frame(n: number, seed = 1): Uint8Array {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = (i * 7 + seed) & 0xff;
  return f;
}

/** Sends one packet and returns what the device pops: segment shape and readable bytes. */
async function sendOne(rig: UnitRig, len: number, init: SkbInit = {}) {
  const sq = rig.vi.sq[0]!;
  rig.mem.fill(sq.arena.baseAddr, 4096, 0xee);
  const r = await startXmit(rig.vi, makeSkb(frame(len), init));
  const c = popChain(rig.tx[0]!.device);
  return { r, shape: chainShape(c), bytes: deviceRead(rig.mem, c), chain: c };
}

describe('§3.1 xmit_skb header fill', () => {
  test('§6.5 VERSION_1 + MRG_RXBUF: header and data share one descriptor; 10 bytes written, num_buffers 0', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    const { shape, bytes } = await sendOne(rig, 60);
    expect(shape).toEqual(['r72']);
    expect([...bytes.subarray(0, 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...bytes.subarray(12)]).toEqual([...frame(60)]);
  });

  test('§3.1 VERSION_1 without MRG_RXBUF: bytes 10-11 (num_buffers) are not written', async () => {
    const rig = unitRig({ features: [] });
    const { bytes } = await sendOne(rig, 60);
    expect([...bytes.subarray(0, 10)]).toEqual(new Array(10).fill(0));
    expect([...bytes.subarray(10, 12)]).toEqual([0xee, 0xee]);
  });

  test('§1.6 HASH_REPORT: a 20-byte TX header whose hash bytes 12-19 are not written', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_HASH_REPORT] });
    const { shape, bytes } = await sendOne(rig, 60);
    expect(shape).toEqual(['r80']);
    expect([...bytes.subarray(10, 12)]).toEqual([0, 0]);
    expect([...bytes.subarray(12, 20)]).toEqual(new Array(8).fill(0xee));
  });

  test('§3.1 a cloned header cannot be pushed into: the header is its own descriptor', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    const { shape } = await sendOne(rig, 60, { headerCloned: true });
    expect(shape).toEqual(['r12', 'r60']);
  });

  test('§3.1 fragments are one descriptor each after the linear part', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    const { shape } = await sendOne(rig, 54, { frags: [frame(100, 2), frame(200, 3)] });
    expect(shape).toEqual(['r66', 'r100', 'r200']);
  });

  test('§3.1 CHECKSUM_PARTIAL: NEEDS_CSUM with csum_start and csum_offset', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_MRG_RXBUF] });
    const { bytes } = await sendOne(rig, 100, { ipSummed: 'partial', csumStart: 34, csumOffset: 16 });
    expect([...bytes.subarray(0, 10)]).toEqual([1, 0, 0, 0, 0, 0, 34, 0, 16, 0]);
  });

  test('§3.1 TSO4 with ECN: gso_type 0x81, hdr_len = linear length, gso_size = MSS', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4, N.VIRTIO_NET_F_MRG_RXBUF] });
    const { bytes } = await sendOne(rig, 66, { ipSummed: 'partial', csumStart: 34, csumOffset: 16, gso: { type: 'tcpv4', size: 1448, ecn: true }, frags: [frame(3000)] });
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(bytes[1]).toBe(0x81);
    expect(v.getUint16(2, true)).toBe(66);
    expect(v.getUint16(4, true)).toBe(1448);
  });

  test('§3.1 UDP GSO is refused (-EPROTO): tx_fifo_errors, tx_dropped and Linux\'s warning', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    const r = await startXmit(rig.vi, makeSkb(frame(60), { gso: { type: 'udp', size: 1400, ecn: false } }));
    expect(r).toEqual({ kind: 'dropped', errno: -71 });
    expect(rig.vi.dev.stats).toMatchObject({ tx_fifo_errors: 1, tx_dropped: 1 });
    expect(rig.vi.log.at(-1)?.message).toBe('Unexpected TXQ (0) queue failure: -71');
  });
});

describe('§3.1 queue stop and kick', () => {
  test('§6.8 stop below 2 + MAX_SKB_FRAGS = 19 free descriptors; xmit_more defers the kick until stopped', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 32 });
    const results = [];
    for (let i = 0; i < 14; i++) results.push(await startXmit(rig.vi, makeSkb(frame(60, i), { xmitMore: true })));
    expect(results.slice(0, 13).every((r) => r.kind === 'queued' && !r.kicked && !r.stopped)).toBe(true);
    expect(results[13]).toEqual({ kind: 'queued', kicked: true, stopped: true });
    expect(rig.vi.sq[0]!.vq.numFree).toBe(18);
    expect(rig.vi.dev.txStopped[0]).toBe(true);
    expect(rig.tx[0]!.notifies.count).toBe(1);
  });

  test('§3.1 completed buffers are freed and counted at the next transmit; used.len is ignored', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    await startXmit(rig.vi, makeSkb(frame(60)));
    await startXmit(rig.vi, makeSkb(frame(70)));
    for (let i = 0; i < 2; i++) {
      const c = popChain(rig.tx[0]!.device);
      rig.tx[0]!.device.push(c, 12345 % (c.writableBytes + 1));
    }
    await startXmit(rig.vi, makeSkb(frame(80)));
    expect(rig.vi.sq[0]!.stats).toMatchObject({ packets: 2, bytes: 130 });
  });
});

describe('TxArena', () => {
  test('blocks are reclaimed from the oldest, in any free order, and wrap', () => {
    const mem = new GuestMemory(1 << 16);
    const a = new TxArena(new GuestAllocator(mem, 0x1000), 256);
    const b0 = a.alloc(100);
    const b1 = a.alloc(100);
    expect(a.alloc(100)).toBe(-1);
    a.free(b1);
    expect(a.used).toBe(224);
    a.free(b0);
    expect(a.used).toBe(0);
    const c0 = a.alloc(200);
    a.alloc(40);
    a.free(c0);
    const w = a.alloc(100);
    expect(a.addr(w)).toBe(a.baseAddr);
  });
});
