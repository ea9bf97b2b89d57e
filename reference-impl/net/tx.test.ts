import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../specs/features/feature-set.js';
import * as N from '../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import {
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
  VIRTIO_NET_HDR_GSO_UDP_L4,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL,
  VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4,
} from '../../specs/net/hdr.js';
import { checksumVerifies } from './checksum.js';
import { emptyNetHdr, encodeNetHdr, type NetHdrFields } from './net-header.js';
import { netNegotiation } from './negotiation.js';
import { drainUsed, pathRig, type PathRig, testFrame } from './test-fixture.js';
import { NetTransmitter, validateTxHeader } from './tx.js';

const TXQ = 1;

function hdr(fields: Partial<NetHdrFields>): NetHdrFields {
  return { ...emptyNetHdr(), ...fields };
}

/** Puts header + frame in guest memory and makes it one transmit chain cut at `cuts` (byte offsets). */
function send(rig: PathRig, h: NetHdrFields, frame: Uint8Array, cuts: readonly number[] = [], token = 0): void {
  const hlen = rig.n.hdrLength;
  const bytes = new Uint8Array(hlen + frame.length);
  encodeNetHdr(h, hlen, bytes);
  bytes.set(frame, hlen);
  const addr = rig.buffer(bytes.length);
  rig.mem.writeBytes(addr, bytes);
  const points = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  const driver = rig.drivers[TXQ];
  if (driver === undefined) throw new Error('no txq');
  driver.stage.clear();
  for (let i = 0; i + 1 < points.length; i++) driver.stage.out(addr + (points[i] as number), (points[i + 1] as number) - (points[i] as number));
  expect(driver.add(token).kind).toBe('added');
}

function transmitter(rig: PathRig, nonzeroNumBuffers: 'accept' | 'drop' = 'accept', mtu: number | null = null): NetTransmitter {
  return new NetTransmitter(rig.env, rig.n, { mtu, nonzeroNumBuffers });
}

describe('transmit header parsing', () => {
  it('reads a 12-byte header split over three descriptors and sends the frame unchanged', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CSUM] });
    expect(rig.n.hdrLength).toBe(12);
    const frame = testFrame(60, 1);
    send(rig, hdr({ hdrLen: 0x1234, gsoSize: 0x5678 }), frame, [5, 11, 30]);
    transmitter(rig).process(TXQ);
    expect(rig.wire.sent).toHaveLength(1);
    const rec = rig.wire.sent[0];
    expect(rec?.frame).toEqual(frame);
    expect(rec?.header.hdrLen).toBe(0x1234);
    expect(rec?.header.gsoSize).toBe(0x5678);
    expect(rec?.queue).toBe(TXQ);
    expect(drainUsed(rig.drivers[TXQ])).toEqual([[0, 0]]);
    expect(rig.counters.txPackets).toBe(1);
    expect(rig.counters.txBytes).toBe(60);
  });

  it('reads a 20-byte header (HASH_REPORT) split inside num_buffers and inside hash_value', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ] });
    expect(rig.n.hdrLength).toBe(20);
    const frame = testFrame(64, 2);
    send(rig, hdr({ hashValue: 0xdeadbeef, hashReport: 7 }), frame, [11, 14, 19, 21]);
    transmitter(rig).process(TXQ);
    expect(rig.wire.sent).toHaveLength(1);
    // The 20-byte header is consumed whole: the frame starts at byte 20, not 12 (bug D7).
    expect(rig.wire.sent[0]?.frame).toEqual(frame);
    expect(rig.wire.sent[0]?.header.hashValue).toBe(0xdeadbeef);
  });

  test.prop([fc.integer({ min: 14, max: 300 }), fc.array(fc.integer({ min: 1, max: 330 }), { maxLength: 8 }), fc.boolean()])(
    'any descriptor split gives the same frame on the wire',
    (length, cuts, hash) => {
      const rig = pathRig({ features: hash ? [N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ] : [] });
      const frame = testFrame(length, length);
      send(rig, hdr({ csumStart: 3, gsoType: 0 }), frame, cuts);
      transmitter(rig).process(TXQ);
      expect(rig.wire.sent.map((r) => [...r.frame])).toEqual([[...frame]]);
      expect(rig.wire.sent[0]?.header.csumStart).toBe(3);
    },
  );
});

describe('transmit drops', () => {
  it('drops and counts a chain shorter than the header, then sends the next frame', () => {
    const rig = pathRig({ features: [] });
    const addr = rig.buffer(8);
    const driver = rig.drivers[TXQ];
    driver?.addSgs([{ addr, len: 8 }], [], 7);
    send(rig, hdr({}), testFrame(20), [], 8);
    transmitter(rig).process(TXQ);
    expect(rig.counters.txDropReasons['header-short']).toBe(1);
    expect(rig.counters.txDrops).toBe(1);
    expect(rig.wire.sent).toHaveLength(1);
    expect(drainUsed(driver)).toEqual([
      [7, 0],
      [8, 0],
    ]);
    expect(rig.events.ofKind('tx-drop')[0]).toMatchObject({ reason: 'header-short', clause: 'net.tx.driver.1' });
    expect(rig.violations.map((v) => v.clause)).toEqual(['net.tx.driver.1']);
    expect(rig.failures).toEqual([]);
  });

  it('drops a header-only chain and a runt frame', () => {
    const rig = pathRig({ features: [] });
    send(rig, hdr({}), new Uint8Array(0), [], 1);
    send(rig, hdr({}), testFrame(10), [], 2);
    transmitter(rig).process(TXQ);
    expect(rig.counters.txDropReasons['frame-empty']).toBe(1);
    expect(rig.counters.txDropReasons['frame-runt']).toBe(1);
    expect(rig.wire.sent).toHaveLength(0);
  });

  it('drops NEEDS_CSUM with csum_start + csum_offset + 2 past the frame (bug D16)', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CSUM] });
    send(rig, hdr({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 50, csumOffset: 9 }), testFrame(60), [], 1);
    send(rig, hdr({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 50, csumOffset: 8 }), testFrame(60), [], 2);
    transmitter(rig).process(TXQ);
    expect(rig.counters.txDropReasons['csum-out-of-range']).toBe(1);
    expect(rig.wire.sent).toHaveLength(1);
  });

  it('drops GSO without the HOST_* feature, and GSO with gso_size 0', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4] });
    const gso = (gsoType: number, gsoSize: number) =>
      hdr({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType, gsoSize, csumStart: 34, csumOffset: 16, hdrLen: 54 });
    send(rig, gso(VIRTIO_NET_HDR_GSO_TCPV6, 1400), testFrame(200), [], 1);
    send(rig, gso(VIRTIO_NET_HDR_GSO_TCPV4, 0), testFrame(200), [], 2);
    send(rig, gso(VIRTIO_NET_HDR_GSO_TCPV4, 1400), testFrame(200), [], 3);
    transmitter(rig).process(TXQ);
    expect(rig.counters.txDropReasons['gso-not-negotiated']).toBe(1);
    expect(rig.counters.txDropReasons['gso-size-zero']).toBe(1);
    expect(rig.wire.sent).toHaveLength(1);
    expect(rig.wire.sent[0]?.gso).toEqual({ type: VIRTIO_NET_HDR_GSO_TCPV4, size: 1400, hdrLen: 54 });
    expect(rig.counters.queues[TXQ]?.gsoPackets).toBe(1);
  });

  it('completes the partial checksum of a NEEDS_CSUM frame', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_CSUM] });
    const frame = testFrame(80, 5);
    frame[50] = 0x12;
    frame[51] = 0x34;
    send(rig, hdr({ flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 16 }), frame);
    transmitter(rig).process(TXQ);
    const out = rig.wire.sent[0];
    expect(out?.checksumCompleted).toBe(true);
    expect(checksumVerifies(out?.frame as Uint8Array, 34, 0x1234)).toBe(true);
    expect(out?.frame.subarray(0, 50)).toEqual(frame.subarray(0, 50));
    expect(rig.counters.queues[TXQ]?.needsCsum).toBe(1);
  });

  it('accepts a nonzero num_buffers and reports it; the drop policy drops it', () => {
    const accept = pathRig({ features: [] });
    send(accept, hdr({ numBuffers: 3 }), testFrame(40));
    transmitter(accept, 'accept').process(TXQ);
    expect(accept.wire.sent).toHaveLength(1);
    expect(accept.counters.txNumBuffersNonzero).toBe(1);
    expect(accept.violations.map((v) => v.clause)).toEqual(['net.tx.driver.2']);
    const strict = pathRig({ features: [] });
    send(strict, hdr({ numBuffers: 3 }), testFrame(40));
    transmitter(strict, 'drop').process(TXQ);
    expect(strict.wire.sent).toHaveLength(0);
    expect(strict.counters.txDropReasons['num-buffers-nonzero']).toBe(1);
  });

  it('drops while the link is down', () => {
    const rig = pathRig({ features: [] });
    rig.configSpace.setLinkUp(false);
    send(rig, hdr({}), testFrame(40));
    transmitter(rig).process(TXQ);
    expect(rig.counters.txDropReasons['link-down']).toBe(1);
    expect(rig.wire.sent).toHaveLength(0);
  });

  it('drops a non-GSO frame above mtu + 14 when MTU is negotiated', () => {
    const rig = pathRig({ features: [N.VIRTIO_NET_F_MTU] });
    send(rig, hdr({}), testFrame(1515), [], 1);
    send(rig, hdr({}), testFrame(1514), [], 2);
    transmitter(rig, 'accept', 1500).process(TXQ);
    expect(rig.counters.txDropReasons['exceeds-mtu']).toBe(1);
    expect(rig.wire.sent.map((r) => r.frame.length)).toEqual([1514]);
  });
});

describe('transmit completion', () => {
  it('returns every chain with used len 0 and raises one notification for a batch', () => {
    const rig = pathRig({ features: [] });
    for (let i = 0; i < 5; i++) send(rig, hdr({}), testFrame(30 + i), [], i);
    transmitter(rig).process(TXQ);
    expect(drainUsed(rig.drivers[TXQ])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 0]));
    expect(rig.interrupts).toEqual([TXQ]);
    expect(rig.counters.queues[TXQ]?.interrupts).toBe(1);
  });

  it('raises no notification when the driver asked for none', () => {
    const rig = pathRig({ features: [] });
    rig.drivers[TXQ]?.disableCallbacks();
    send(rig, hdr({}), testFrame(30));
    transmitter(rig).process(TXQ);
    expect(rig.wire.sent).toHaveLength(1);
    expect(rig.interrupts).toEqual([]);
  });
});

describe('validateTxHeader', () => {
  const all = netNegotiation(
    featureMask(
      VIRTIO_F_VERSION_1,
      N.VIRTIO_NET_F_CSUM,
      N.VIRTIO_NET_F_HOST_TSO4,
      N.VIRTIO_NET_F_HOST_TSO6,
      N.VIRTIO_NET_F_HOST_ECN,
      N.VIRTIO_NET_F_HOST_USO,
      N.VIRTIO_NET_F_HOST_UFO,
      N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
      N.VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
    ),
    1,
  );
  const none = netNegotiation(featureMask(VIRTIO_F_VERSION_1), 1);
  const csum = { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM, csumStart: 34, csumOffset: 16, gsoSize: 1400 };
  const cases: [string, Partial<NetHdrFields>, typeof all, string | null][] = [
    ['plain frame', {}, none, null],
    ['unknown flag bit 0x80 is ignored', { flags: 0x80 }, none, null],
    ['csum fields ignored without NEEDS_CSUM', { csumStart: 9999, csumOffset: 9999 }, none, null],
    ['NEEDS_CSUM without CSUM', { flags: VIRTIO_NET_HDR_F_NEEDS_CSUM }, none, 'net.tx.driver.3'],
    ['DATA_VALID on transmit', { flags: VIRTIO_NET_HDR_F_DATA_VALID }, all, 'net.tx.driver.45'],
    ['TCPV4 without HOST_TSO4', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 }, none, 'net.tx.driver.3'],
    ['UDP_L4 with everything', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_UDP_L4 }, all, null],
    ['ECN with TCPV6', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN }, all, null],
    ['ECN with UDP_L4', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_ECN }, all, 'gso-type-unknown'],
    ['gso_type 2', { ...csum, gsoType: 2 }, all, 'gso-type-unknown'],
    ['GSO without NEEDS_CSUM', { gsoType: VIRTIO_NET_HDR_GSO_TCPV4, gsoSize: 1400 }, all, 'net.tx.driver.32'],
    ['both tunnel bits', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_UDP_TUNNEL }, all, 'net.tx.device.8'],
    ['tunnel with GSO_UDP', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_UDP | VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 }, all, 'net.tx.driver.24'],
    ['tunnel without inner type', { ...csum, gsoType: VIRTIO_NET_HDR_GSO_UDP_TUNNEL_IPV4 }, all, 'net.tx.device.10'],
    ['UDP_TUNNEL_CSUM without tunnel bit', { ...csum, flags: 9, gsoType: VIRTIO_NET_HDR_GSO_TCPV4 }, all, 'net.tx.device.11'],
    ['valid tunnel GSO', { ...csum, flags: 1 | VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM, gsoType: 0x21 }, all, null],
  ];
  it.each(cases)('%s', (_name, fields, n, expected) => {
    const v = validateTxHeader(hdr(fields), 200, n, { mtu: null });
    if (expected === null) expect(v).toEqual({ kind: 'accept' });
    else if (v.kind === 'drop') expect([v.clause, v.reason]).toContain(expected);
    else expect.fail(`expected a drop for ${expected}`);
  });
});
