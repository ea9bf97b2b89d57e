/**
 * Receive buffers and the receive paths (linux-driver-facts §1.7, §3.2,
 * §6.6), driven by a scripted device on real rings.
 */
import { describe, expect, test } from 'vitest';
import * as N from '../../../specs/features/net.js';
import * as H from '../../../specs/net/hdr.js';
import { NETIF_F_RXHASH } from './features.js';
import { tryFillRecv, virtnetReceive } from './poll.js';
import { receiveBuf } from './rx.js';
import { chainShape, deviceWrite, popChain, unitRig, type UnitRig } from './test-fixture.js';

function hdr(len: number, fields: Partial<Record<'flags' | 'gsoType' | 'gsoSize' | 'csumStart' | 'csumOffset' | 'numBuffers' | 'hashValue' | 'hashReport', number>> = {}): Uint8Array {
  const h = new Uint8Array(len);
  const v = new DataView(h.buffer);
  h[0] = fields.flags ?? 0;
  h[1] = fields.gsoType ?? 0;
  v.setUint16(4, fields.gsoSize ?? 0, true);
  v.setUint16(6, fields.csumStart ?? 0, true);
  v.setUint16(8, fields.csumOffset ?? 0, true);
  if (len >= 12) v.setUint16(10, fields.numBuffers ?? 1, true);
  if (len >= 20) {
    v.setUint32(12, fields.hashValue ?? 0, true);
    v.setUint16(16, fields.hashReport ?? 0, true);
  }
  return h;
}

function frame(n: number, seed = 1): Uint8Array {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i++) f[i] = (i * 13 + seed) & 0xff;
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The device fills the next posted buffer with `bytes` and uses it with `len` (default: bytes written). */
function use(rig: UnitRig, bytes: Uint8Array, len?: number): void {
  const c = popChain(rig.rx[0]!.device);
  const n = deviceWrite(rig.mem, c, bytes);
  rig.rx[0]!.device.push(c, len ?? n);
}

async function receive(rig: UnitRig): Promise<number> {
  return virtnetReceive(rig.vi, rig.vi.rq[0]!, 64, { xdpTx: false });
}

describe('§1.7 posting receive buffers', () => {
  test('§1.7 small: one writable descriptor of hdr_len + 1518, ring filled, one kick', async () => {
    const rig = unitRig({ features: [], size: 16 });
    expect(await tryFillRecv(rig.vi, rig.vi.rq[0]!)).toBe(true);
    expect(rig.vi.rq[0]!.vq.numFree).toBe(0);
    expect(rig.vi.rq[0]!.stats.kicks).toBe(1);
    expect(chainShape(popChain(rig.rx[0]!.device))).toEqual(['w1530']);
  });

  test('§1.7 mergeable: 1536-byte buffers; the 21st of a 32 KiB frag takes the 512-byte hole (2048)', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 64 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const lens: number[] = [];
    for (let i = 0; i < 42; i++) lens.push(popChain(rig.rx[0]!.device).writableBytes);
    expect(lens.slice(0, 20)).toEqual(new Array(20).fill(1536));
    expect(lens[20]).toBe(2048);
    expect(lens.slice(21, 41)).toEqual(new Array(20).fill(1536));
    expect(lens[41]).toBe(2048);
  });

  test('§1.7 mergeable with XDP headroom: PAGE_SIZE − room = 3520, no hole', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    rig.vi.xdpEnabled = true;
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const lens = new Set<number>();
    for (let i = 0; i < 16; i++) lens.add(popChain(rig.rx[0]!.device).writableBytes);
    expect([...lens]).toEqual([3520]);
  });

  test('§1.7 big: 19 direct descriptors [12, 4064, 17 × 4096]; a 64-entry ring holds 3 buffers', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_GUEST_TSO4], size: 64, memorySize: 32 << 20 });
    expect(rig.vi.rxMode).toBe('big');
    expect(await tryFillRecv(rig.vi, rig.vi.rq[0]!)).toBe(true);
    expect(rig.vi.rq[0]!.vq.numFree).toBe(64 - 3 * 19);
    const shape = chainShape(popChain(rig.rx[0]!.device));
    expect(shape.length).toBe(19);
    expect(shape.slice(0, 3)).toEqual(['w12', 'w4064', 'w4096']);
  });

  test('§1.7 big with INDIRECT_DESC: one ring descriptor per buffer, so the ring fills completely', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_GUEST_TSO4], size: 32, indirect: true, memorySize: 32 << 20 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    expect(rig.vi.rq[0]!.vq.numFree).toBe(0);
    const c = popChain(rig.rx[0]!.device);
    expect(c.indirect).toBe(true);
    expect(c.writableBytes).toBe(73708);
  });
});

describe('§3.2 receive paths', () => {
  test('small: the frame after the header reaches the stack; rx packets and bytes count it', async () => {
    const rig = unitRig({ features: [], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const f = frame(100);
    use(rig, cat(hdr(12, { flags: H.VIRTIO_NET_HDR_F_DATA_VALID }), f));
    expect(await receive(rig)).toBe(1);
    expect(rig.vi.delivered.length).toBe(1);
    expect([...rig.vi.delivered[0]!.data]).toEqual([...f]);
    // DATA_VALID is honoured without GUEST_CSUM, as in 6.1.
    expect(rig.vi.delivered[0]!.ipSummed).toBe('unnecessary');
    expect(rig.vi.rq[0]!.stats).toMatchObject({ packets: 1, bytes: 100 });
  });

  test('§3.2 check 1: len < hdr_len + 14 is rx_length_errors, no drop count, nothing delivered', async () => {
    const rig = unitRig({ features: [], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    use(rig, cat(hdr(12), frame(13)));
    await receive(rig);
    expect(rig.vi.delivered.length).toBe(0);
    expect(rig.vi.dev.stats.rx_length_errors).toBe(1);
    expect(rig.vi.rq[0]!.stats.drops).toBe(0);
    expect(rig.vi.log.at(-1)?.message).toBe('eth0: short packet 25');
  });

  test('§3.2 small: len − hdr_len > 1518 is rx_length_errors + drops (Linux check, reached when the ring lets it through)', async () => {
    const rig = unitRig({ features: [], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const c = popChain(rig.rx[0]!.device);
    receiveBuf(rig.vi, rig.vi.rq[0]!, 0, 12 + 1519, { xdpTx: false });
    expect(c.writableBytes).toBe(1530);
    expect(rig.vi.dev.stats.rx_length_errors).toBe(1);
    expect(rig.vi.rq[0]!.stats.drops).toBe(1);
  });

  test('§3.2 big: beyond the posted total only drops++; the frame starts at offset 32 of page 0', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_GUEST_TSO4], size: 64, memorySize: 32 << 20 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const f = frame(5000);
    use(rig, cat(hdr(12), f));
    await receive(rig);
    expect([...rig.vi.delivered[0]!.data]).toEqual([...f]);
    receiveBuf(rig.vi, rig.vi.rq[0]!, 1, 73709, { xdpTx: false });
    expect(rig.vi.rq[0]!.stats.drops).toBe(1);
    expect(rig.vi.dev.stats.rx_length_errors).toBe(0);
  });

  test('mergeable: num_buffers 3 joins three used buffers into one packet', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const f = frame(4000);
    const whole = cat(hdr(12, { numBuffers: 3 }), f);
    use(rig, whole.subarray(0, 1536));
    use(rig, whole.subarray(1536, 3072));
    use(rig, whole.subarray(3072));
    expect(await receive(rig)).toBe(1);
    expect([...rig.vi.delivered[0]!.data]).toEqual([...f]);
    expect(rig.vi.rq[0]!.mrgAvgPktLen).toBe(4000);
  });

  test('§3.2 mergeable: num_buffers 0 wraps to 65535 and swallows the following packets', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    use(rig, cat(hdr(12, { numBuffers: 0 }), frame(60, 1)));
    use(rig, cat(hdr(12, { numBuffers: 1 }), frame(60, 2)));
    use(rig, cat(hdr(12, { numBuffers: 1 }), frame(60, 3)));
    await receive(rig);
    expect(rig.vi.delivered.length).toBe(0);
    expect(rig.vi.dev.stats.rx_length_errors).toBe(1);
    expect(rig.vi.rq[0]!.stats.drops).toBe(1);
    expect(rig.vi.log.some((l) => l.message === 'eth0: rx error: 65533 buffers out of 0 missing')).toBe(true);
  });

  test('§3.2 mergeable: fewer used buffers than num_buffers: "buffers out of ... missing", rx_length_errors + drops', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    use(rig, cat(hdr(12, { numBuffers: 2 }), frame(60)));
    await receive(rig);
    expect(rig.vi.dev.stats.rx_length_errors).toBe(1);
    expect(rig.vi.rq[0]!.stats.drops).toBe(1);
    expect(rig.vi.log.at(-1)?.message).toBe('eth0: rx error: 1 buffers out of 2 missing');
  });

  test('§1.7 mergeable on a 16-entry ring: min_buf_len makes every buffer a full page (d85b758f72b0)', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    expect(popChain(rig.rx[0]!.device).writableBytes).toBe(4096);
  });

  test('§3.2 mergeable: a first buffer longer than posted is rx_length_errors + drops, the rest consumed', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 64 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const c = popChain(rig.rx[0]!.device);
    deviceWrite(rig.mem, c, cat(hdr(12, { numBuffers: 2 }), frame(60)));
    use(rig, frame(30));
    receiveBuf(rig.vi, rig.vi.rq[0]!, 0, 1537, { xdpTx: false });
    expect(rig.vi.dev.stats.rx_length_errors).toBe(1);
    expect(rig.vi.rq[0]!.stats.drops).toBe(1);
    expect(rig.vi.rq[0]!.vq.getBuf()).toBeNull();
  });

  test('§4.2 the ring engine refuses a used length above the posted buffer and breaks the queue (stricter than 6.1, R8)', async () => {
    const rig = unitRig({ features: [], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    const c = popChain(rig.rx[0]!.device);
    rig.rx[0]!.device.push(c, 4000);
    await receive(rig);
    expect(rig.vi.rq[0]!.vq.isBroken).toBe(true);
    expect(rig.vi.log.at(-1)?.level).toBe('err');
  });

  const gso: [string, Parameters<typeof hdr>[1], number, boolean][] = [
    ['§3.2 gso_type 2 is not a GSO type: rx_frame_errors', { gsoType: 2, gsoSize: 1400 }, 1, false],
    ['§3.2 GSO with gso_size 0: rx_frame_errors', { gsoType: H.VIRTIO_NET_HDR_GSO_TCPV4 }, 1, false],
    ['§3.2 NEEDS_CSUM beyond the frame: rx_frame_errors', { flags: 1, csumStart: 2000, csumOffset: 16 }, 1, false],
    ['§3.2 TCP GSO with csum_offset 17: rx_frame_errors', { flags: 1, gsoType: H.VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 100, csumStart: 34, csumOffset: 17 }, 1, false],
    ['§3.2 gso_size GSO_BY_FRAGS: rx_frame_errors', { flags: 1, gsoType: H.VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 0xffff, csumStart: 34, csumOffset: 16 }, 1, false],
    ['§3.2 TCPv4 GSO with a good partial checksum is accepted (no GUEST_TSO4 check)', { flags: 1, gsoType: H.VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 100, csumStart: 34, csumOffset: 16 }, 0, true],
  ];
  test.each(gso)('%s', async (_s, fields, frameErrors, delivered) => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    use(rig, cat(hdr(12, { ...fields, numBuffers: 1 }), frame(1000)));
    await receive(rig);
    expect(rig.vi.dev.stats.rx_frame_errors).toBe(frameErrors);
    expect(rig.vi.delivered.length).toBe(delivered ? 1 : 0);
    if (delivered) expect(rig.vi.delivered[0]!.gso).toEqual({ type: 'tcpv4', size: 100, ecn: false });
  });

  test('§3.2 hash report applies only with RXHASH on: TCPv4 report gives an L4 hash', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_HASH_REPORT], size: 8 });
    expect(rig.vi.hdrLen).toBe(20);
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    use(rig, cat(hdr(20, { hashValue: 0xdeadbeef, hashReport: 2 }), frame(80)));
    use(rig, cat(hdr(20, { hashValue: 0xdeadbeef, hashReport: 2 }), frame(80)));
    await virtnetReceive(rig.vi, rig.vi.rq[0]!, 1, { xdpTx: false });
    expect(rig.vi.delivered[0]).toMatchObject({ hash: 0, hashType: 'none' });
    rig.vi.dev.features |= NETIF_F_RXHASH;
    await receive(rig);
    expect(rig.vi.delivered[1]).toMatchObject({ hash: 0xdeadbeef, hashType: 'l4' });
  });

  test('§3.2 refill when more than half the ring is free after a poll', async () => {
    const rig = unitRig({ features: [], size: 8 });
    await tryFillRecv(rig.vi, rig.vi.rq[0]!);
    for (let i = 0; i < 5; i++) use(rig, cat(hdr(12), frame(60, i)));
    await receive(rig);
    expect(rig.vi.delivered.length).toBe(5);
    expect(rig.vi.rq[0]!.vq.numFree).toBe(0);
    expect(rig.vi.rq[0]!.stats.kicks).toBe(2);
  });
});
