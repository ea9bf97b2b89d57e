import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as N from '../../specs/features/net.js';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
} from '../../specs/net/hdr.js';
import { offloadsMask } from '../../specs/net/offloads.js';
import { checksumVerifies } from './checksum.js';
import type { NetControlPort } from './control-port.js';
import { decodeNetHdr, type NetHdrFields } from './net-header.js';
import { NetReceiver } from './rx.js';
import { drainUsed, pathRig, type PathRig, testFrame } from './test-fixture.js';
import type { RxFrameMeta, RxOutcome } from './wire.js';

const RXQ = 0;

function stubControl(rig: PathRig, over: Partial<NetControlPort> = {}): NetControlPort {
  return {
    activePairs: 1,
    guestOffloads: offloadsMask(rig.n.features),
    rss: null,
    mac: rig.configSpace.mac,
    rxFilterAccepts: () => true,
    steer: () => ({ queuePair: 0 }),
    noteTransmit: () => {},
    handleCommand: () => ({ kind: 'ack', ack: 0 }),
    requestAnnounce: () => false,
    reset: () => {},
    ...over,
  };
}

interface Posted {
  readonly token: number;
  readonly segments: readonly { addr: number; len: number }[];
}

/** Posts one receive chain per entry of `buffers` (each a list of segment lengths) on `queue`. */
function post(rig: PathRig, buffers: readonly (readonly number[])[], queue = RXQ): Posted[] {
  const driver = rig.drivers[queue];
  if (driver === undefined) throw new Error('no such queue');
  return buffers.map((lens, token) => {
    const segments = lens.map((len) => ({ addr: rig.buffer(len), len }));
    expect(driver.addSgs([], segments, token).kind).toBe('added');
    return { token, segments };
  });
}

/** The bytes the device wrote into `posted`, `len` of them, across its segments. */
function written(rig: PathRig, posted: Posted, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  for (const s of posted.segments) {
    const n = Math.min(s.len, len - done);
    out.set(rig.mem.bytes(s.addr, n), done);
    done += n;
  }
  return out;
}

function header(rig: PathRig, posted: Posted): NetHdrFields {
  return decodeNetHdr(written(rig, posted, rig.n.hdrLength), rig.n.hdrLength);
}

function receiver(rig: PathRig, control: NetControlPort | null = null, mtu: number | null = null): NetReceiver {
  return new NetReceiver(rig.env, rig.n, control, { mtu });
}

function delivered(o: RxOutcome): Extract<RxOutcome, { kind: 'delivered' }> {
  if (o.kind !== 'delivered') throw new Error(`dropped: ${o.reason} ${o.message}`);
  return o;
}

describe('receive buffer modes', () => {
  it('small: one segment, num_buffers 1, used len = header + frame', () => {
    const rig = pathRig({ features: [] });
    const [buf] = post(rig, [[1526]]);
    const frame = testFrame(114);
    const out = delivered(receiver(rig).receive(frame, {}));
    expect(out.usedLengths).toEqual([126]);
    expect(drainUsed(rig.drivers[RXQ])).toEqual([[0, 126]]);
    const h = header(rig, buf as Posted);
    expect(h).toMatchObject({ flags: 0, gsoType: 0, numBuffers: 1 });
    expect(written(rig, buf as Posted, 126).subarray(12)).toEqual(frame);
    expect(rig.counters.rxSmallMode).toBe(1);
    expect(rig.interrupts).toEqual([RXQ]);
  });

  it('big: header in descriptor 0, frame from descriptor 1 on', () => {
    const rig = pathRig({ features: [] });
    const [buf] = post(rig, [[12, 4064, 4096]]);
    const frame = testFrame(6000, 3);
    const out = delivered(receiver(rig).receive(frame, {}));
    expect(out.usedLengths).toEqual([6012]);
    const seg1 = (buf as Posted).segments[1];
    expect(rig.mem.bytes(seg1?.addr as number, 4064)).toEqual(frame.subarray(0, 4064));
    expect(header(rig, buf as Posted).numBuffers).toBe(1);
    expect(rig.counters.rxBigMode).toBe(1);
  });

  it('mergeable: 200 bytes over 64-byte buffers uses 64, 64, 64, 20 and says num_buffers 4', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    const bufs = post(rig, Array.from({ length: 8 }, () => [64]));
    const out = delivered(receiver(rig).receive(testFrame(200), {}));
    expect(out.usedLengths).toEqual([64, 64, 64, 20]);
    expect(drainUsed(rig.drivers[RXQ])).toEqual([
      [0, 64],
      [1, 64],
      [2, 64],
      [3, 20],
    ]);
    expect(header(rig, bufs[0] as Posted).numBuffers).toBe(4);
    expect(rig.counters.rxMerged).toBe(1);
  });

  test.prop(
    [
      fc.integer({ min: 14, max: 3000 }),
      fc.array(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 24 }),
    ],
    { numRuns: 200 },
  )('mergeable num_buffers and used lengths match a prefix-sum model', (length, shapes) => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    // The driver must post buffers of at least one header (`net.rxbuf.driver.3`).
    const buffers = shapes.map((s) => (s.reduce((a, b) => a + b, 0) < 12 ? [...s, 12] : s));
    const sizes = buffers.map((s) => s.reduce((a, b) => a + b, 0));
    const posted = post(rig, buffers);
    const frame = testFrame(length, length);
    const out = receiver(rig).receive(frame, {});
    // Model: the packet ends in the first buffer whose running total reaches header + frame.
    const total = 12 + length;
    const prefix = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
    const last = prefix.findIndex((p) => p >= total);
    if (last < 0) {
      expect(out).toMatchObject({ kind: 'dropped', reason: 'no-buffers' });
      expect(drainUsed(rig.drivers[RXQ])).toEqual([]);
      return;
    }
    const expected = sizes.slice(0, last + 1).map((s, i) => (i < last ? s : total - (prefix[i - 1] ?? 0)));
    expect(delivered(out).usedLengths).toEqual(expected);
    expect(drainUsed(rig.drivers[RXQ])).toEqual(expected.map((len, i) => [i, len]));
    expect(header(rig, posted[0] as Posted).numBuffers).toBe(last + 1);
    const data = expected.flatMap((len, i) => [...written(rig, posted[i] as Posted, len)]);
    expect(data.slice(12)).toEqual([...frame]);
  });
});

describe('receive drops', () => {
  it('drops a frame too large for the next buffer without MRG_RXBUF, keeps the buffer for the next frame (bug D2)', () => {
    const rig = pathRig({ features: [] });
    post(rig, [[100], [100]]);
    const rx = receiver(rig);
    expect(rx.receive(testFrame(200), {})).toMatchObject({ kind: 'dropped', reason: 'buffer-too-small', clause: 'net.rxbuf.device.2' });
    expect(drainUsed(rig.drivers[RXQ])).toEqual([]);
    expect(delivered(rx.receive(testFrame(60), {})).usedLengths).toEqual([72]);
    expect(drainUsed(rig.drivers[RXQ])).toEqual([[0, 72]]);
    expect(rig.counters.rxDropReasons['buffer-too-small']).toBe(1);
    expect(rig.counters.queues[RXQ]?.dropOverruns).toBe(1);
  });

  it('drops and counts a frame when no buffer is posted', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    expect(receiver(rig).receive(testFrame(60), {})).toMatchObject({ kind: 'dropped', reason: 'no-buffers' });
    expect(rig.counters.rxDrops).toBe(1);
    expect(rig.events.ofKind('rx-drop')).toHaveLength(1);
  });

  it('keeps the buffers of a mergeable frame that did not fit, and uses them for the next', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    post(rig, [[64], [64]]);
    const rx = receiver(rig);
    expect(rx.receive(testFrame(200), {})).toMatchObject({ kind: 'dropped', reason: 'no-buffers' });
    expect(delivered(rx.receive(testFrame(100), {})).usedLengths).toEqual([64, 48]);
  });

  it('returns a buffer too small for the header with used len 0 and reports it', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    post(rig, [[8], [1500]]);
    expect(delivered(receiver(rig).receive(testFrame(60), {})).usedLengths).toEqual([72]);
    expect(drainUsed(rig.drivers[RXQ])).toEqual([
      [0, 0],
      [1, 72],
    ]);
    expect(rig.violations.map((v) => v.clause)).toEqual(['net.rxbuf.driver.3']);
  });

  it('drops what the RX filter refuses, and non-GSO frames above mtu + 14', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MTU] });
    post(rig, [[2000]]);
    const rx = receiver(rig, stubControl(rig, { rxFilterAccepts: (f) => f[0] !== 0x02 }), 1500);
    const refused = testFrame(60);
    refused[0] = 0x02;
    expect(rx.receive(refused, {})).toMatchObject({ kind: 'dropped', reason: 'filtered' });
    expect(rx.receive(testFrame(1515), {})).toMatchObject({ kind: 'dropped', reason: 'exceeds-mtu', clause: 'net.cfg.device.5' });
    expect(delivered(rx.receive(testFrame(1514), {})).usedLengths).toEqual([1526]);
  });

  it('drops while the link is down', () => {
    const rig = pathRig({ features: [] });
    post(rig, [[1526]]);
    rig.configSpace.setLinkUp(false);
    expect(receiver(rig).receive(testFrame(60), {})).toMatchObject({ kind: 'dropped', reason: 'link-down' });
  });
});

describe('receive header flags follow negotiation and offload state', () => {
  const partial: RxFrameMeta = { csum: { kind: 'partial', start: 34, offset: 16 } };
  const tso: RxFrameMeta = { ...partial, gso: { type: VIRTIO_NET_HDR_GSO_TCPV4, size: 1448, hdrLen: 66 } };

  it('sets DATA_VALID and NEEDS_CSUM only with GUEST_CSUM', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_GUEST_CSUM] });
    const bufs = post(rig, [[1526], [1526]]);
    const rx = receiver(rig);
    delivered(rx.receive(testFrame(80), { csum: { kind: 'valid' } }));
    delivered(rx.receive(testFrame(80), partial));
    expect(header(rig, bufs[0] as Posted).flags).toBe(VIRTIO_NET_HDR_F_DATA_VALID);
    expect(header(rig, bufs[1] as Posted)).toMatchObject({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 16 });
  });

  it('without GUEST_CSUM writes flags 0 and completes a partial checksum itself', () => {
    const rig = pathRig({ features: [] });
    const bufs = post(rig, [[1526], [1526]]);
    const rx = receiver(rig);
    const frame = testFrame(80, 9);
    frame[50] = 0xab;
    frame[51] = 0xcd;
    delivered(rx.receive(testFrame(80), { csum: { kind: 'valid' } }));
    delivered(rx.receive(frame, partial));
    expect(header(rig, bufs[0] as Posted).flags).toBe(0);
    expect(header(rig, bufs[1] as Posted)).toMatchObject({ flags: 0, csumStart: 0, csumOffset: 0 });
    const got = written(rig, bufs[1] as Posted, 92).subarray(12);
    expect(checksumVerifies(got, 34, 0xabcd)).toBe(true);
    expect(frame[50]).toBe(0xab);
  });

  it('flags 0 when GUEST_CSUM is negotiated but switched off by GUEST_OFFLOADS_SET', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS] });
    const [buf] = post(rig, [[1526]]);
    delivered(receiver(rig, stubControl(rig, { guestOffloads: 0n })).receive(testFrame(80), { csum: { kind: 'valid' } }));
    expect(header(rig, buf as Posted).flags).toBe(0);
  });

  it('delivers GSO only with the matching GUEST_* feature switched on (bug D22)', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO4, N.VIRTIO_NET_F_MRG_RXBUF] });
    const bufs = post(rig, Array.from({ length: 4 }, () => [4096]));
    const rx = receiver(rig);
    const ok = delivered(rx.receive(testFrame(5000), tso));
    expect(ok.buffers).toBe(2);
    expect(header(rig, bufs[0] as Posted)).toMatchObject({ flags: 1, gsoType: 1, gsoSize: 1448, hdrLen: 66, numBuffers: 2 });
    const v6 = { ...tso, gso: { type: VIRTIO_NET_HDR_GSO_TCPV6, size: 1448, hdrLen: 86 } };
    expect(rx.receive(testFrame(5000), v6)).toMatchObject({ kind: 'dropped', reason: 'offload-not-enabled', clause: 'net.rx.device.9' });
    const off = receiver(rig, null);
    expect(off.receive(testFrame(5000), tso).kind).toBe('delivered');
  });

  it('drops GSO when the offload was switched off', () => {
    const rig = pathRig({
      features: [N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO4, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS],
    });
    post(rig, [[70000]]);
    const rx = receiver(rig, stubControl(rig, { guestOffloads: 1n << 1n }));
    expect(rx.receive(testFrame(5000), tso)).toMatchObject({ kind: 'dropped', reason: 'offload-not-enabled', clause: 'net.rx.device.7' });
  });

  it('writes hash_value and hash_report with HASH_REPORT, NONE when no hash was computed', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ] });
    expect(rig.n.hdrLength).toBe(20);
    const bufs = post(rig, [[1600], [1600]]);
    let hash: { value: number; report: number } | undefined = { value: 0xdeadbeef, report: 2 };
    const rx = receiver(rig, stubControl(rig, { steer: () => (hash === undefined ? { queuePair: 0 } : { queuePair: 0, hash }) }));
    expect(delivered(rx.receive(testFrame(60), {})).usedLengths).toEqual([80]);
    hash = undefined;
    delivered(rx.receive(testFrame(60), {}));
    expect(header(rig, bufs[0] as Posted)).toMatchObject({ hashValue: 0xdeadbeef, hashReport: 2, numBuffers: 1 });
    expect(header(rig, bufs[1] as Posted)).toMatchObject({ hashValue: 0, hashReport: 0 });
    expect(written(rig, bufs[0] as Posted, 80).subarray(20)).toEqual(testFrame(60));
  });
});

describe('receive steering', () => {
  it('bounds a steering answer by the active pairs (bug D8)', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ], queues: 5, pairs: 2 });
    post(rig, [[1526]], 2);
    const rx = receiver(rig, stubControl(rig, { activePairs: 2, steer: () => ({ queuePair: 7 }) }));
    expect(delivered(rx.receive(testFrame(60), {})).queue).toBe(2);
    expect(rig.counters.rxSteerCorrected).toBe(1);
    expect(rig.events.ofKind('steer-corrected')[0]).toMatchObject({ asked: 7, used: 1, activePairs: 2 });
  });

  it('moves a frame off a queue in reset without RSS, drops it under RSS', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ], queues: 5, pairs: 2 });
    post(rig, [[1526]], 0);
    rig.devices[2] = undefined;
    const auto = receiver(rig, stubControl(rig, { activePairs: 2, steer: () => ({ queuePair: 1 }) }));
    expect(delivered(auto.receive(testFrame(60), {})).queue).toBe(0);
    expect(rig.counters.rxResteered).toBe(1);
    const rss = receiver(rig, stubControl(rig, { activePairs: 2, rss: {}, steer: () => ({ queuePair: 1 }) }));
    expect(rss.receive(testFrame(60), {})).toMatchObject({ kind: 'dropped', reason: 'queue-reset', clause: 'net.ctrl.rss.device.2' });
    rig.devices[0] = undefined;
    expect(auto.receive(testFrame(60), {})).toMatchObject({ kind: 'dropped', reason: 'no-queue', clause: 'net.ctrl.mq.device.4' });
  });
});
