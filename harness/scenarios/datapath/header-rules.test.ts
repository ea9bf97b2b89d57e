import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask, type FeatureSet } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { decodeHdr, type HdrFields, rxHeaderFindings, txHeaderFindings } from './header-rules.js';

const NET_BITS = [
  N.VIRTIO_NET_F_CSUM,
  N.VIRTIO_NET_F_GUEST_CSUM,
  N.VIRTIO_NET_F_GUEST_TSO4,
  N.VIRTIO_NET_F_GUEST_TSO6,
  N.VIRTIO_NET_F_GUEST_UFO,
  N.VIRTIO_NET_F_GUEST_USO4,
  N.VIRTIO_NET_F_HOST_TSO4,
  N.VIRTIO_NET_F_HOST_TSO6,
  N.VIRTIO_NET_F_HOST_UFO,
  N.VIRTIO_NET_F_HOST_USO,
  N.VIRTIO_NET_F_RSC_EXT,
];
const features = fc.subarray(NET_BITS).map((bits) => featureMask(...bits));
const ZERO: HdrFields = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0, numBuffers: 1 };
const set = (...bits: number[]): FeatureSet => featureMask(...bits);
const clauses = (found: readonly { clause: string }[]) => found.map((f) => f.clause);

describe('decodeHdr', () => {
  it('reads the fields little-endian at their offsets', () => {
    const bytes = Uint8Array.of(0x01, 0x81, 0x36, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00, 0x03, 0x00);
    expect(decodeHdr(bytes)).toEqual({ flags: 1, gsoType: 0x81, hdrLen: 54, gsoSize: 1448, csumStart: 34, csumOffset: 16, numBuffers: 3 });
  });

  it('has no num_buffers in a 10-byte header', () => {
    expect(decodeHdr(new Uint8Array(10)).numBuffers).toBeNull();
  });
});

describe('rxHeaderFindings', () => {
  test.prop([features, fc.integer({ min: 14, max: 9000 })])('an all-zero header is allowed under any features', (f, len) => {
    expect(rxHeaderFindings(ZERO, f, len)).toEqual([]);
  });

  it('allows no flag at all without GUEST_CSUM (net.rx.device.5)', () => {
    expect(clauses(rxHeaderFindings({ ...ZERO, flags: 2 }, 0n, 100))).toEqual(['net.rx.device.5']);
    expect(clauses(rxHeaderFindings({ ...ZERO, flags: 0x80 }, 0n, 100))).toEqual(['net.rx.device.5']);
    expect(rxHeaderFindings({ ...ZERO, flags: 2 }, set(N.VIRTIO_NET_F_GUEST_CSUM), 100)).toEqual([]);
  });

  it('gates RSC_INFO on RSC_EXT even with GUEST_CSUM (net.rx.device.30)', () => {
    expect(clauses(rxHeaderFindings({ ...ZERO, flags: 4 }, set(N.VIRTIO_NET_F_GUEST_CSUM), 100))).toEqual(['net.rx.device.30']);
  });

  it('gates each GSO type on its own GUEST_ feature', () => {
    const gso = (type: number): HdrFields => ({ ...ZERO, flags: 1, gsoType: type, gsoSize: 1400, csumStart: 34, csumOffset: 16 });
    const guest = set(N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO6);
    expect(clauses(rxHeaderFindings(gso(1), guest, 3000))).toEqual(['net.rx.device.7']);
    expect(clauses(rxHeaderFindings(gso(3), guest, 3000))).toEqual(['net.rx.device.8']);
    expect(rxHeaderFindings(gso(4), guest, 3000)).toEqual([]);
    expect(clauses(rxHeaderFindings(gso(5), guest, 3000))).toEqual(['net.rx.device.10']);
    expect(clauses(rxHeaderFindings(gso(0x24), guest, 3000))).toEqual(['net.rx.device.11']);
    expect(clauses(rxHeaderFindings(gso(4), set(N.VIRTIO_NET_F_GUEST_CSUM), 3000))).toEqual(['net.rx.device.26']);
  });

  it('wants NEEDS_CSUM and an MSS on a GSO packet, and a checksum inside the frame', () => {
    const guest = set(N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO4);
    expect(clauses(rxHeaderFindings({ ...ZERO, gsoType: 1, gsoSize: 0 }, guest, 3000))).toEqual(['net.rx.device.27', 'net.rx.device.28']);
    expect(clauses(rxHeaderFindings({ ...ZERO, flags: 1, csumStart: 90, csumOffset: 16 }, guest, 100))).toEqual(['net.rx.device.20']);
    expect(rxHeaderFindings({ ...ZERO, flags: 1, csumStart: 82, csumOffset: 16 }, guest, 100)).toEqual([]);
  });
});

describe('txHeaderFindings', () => {
  test.prop([features])('an all-zero header is allowed under any features', (f) => {
    expect(txHeaderFindings({ ...ZERO, numBuffers: 0 }, f)).toEqual([]);
  });

  it('gates NEEDS_CSUM on CSUM and never allows receive-only flags', () => {
    expect(clauses(txHeaderFindings({ ...ZERO, flags: 1 }, 0n))).toEqual(['net.tx.driver.3']);
    expect(txHeaderFindings({ ...ZERO, flags: 1 }, set(N.VIRTIO_NET_F_CSUM))).toEqual([]);
    expect(clauses(txHeaderFindings({ ...ZERO, flags: 2 }, set(N.VIRTIO_NET_F_CSUM)))).toEqual(['net.tx.driver.45']);
  });

  it('gates GSO types on HOST_ features', () => {
    const tso = (type: number): HdrFields => ({ ...ZERO, flags: 1, gsoType: type, gsoSize: 1000 });
    expect(clauses(txHeaderFindings(tso(1), set(N.VIRTIO_NET_F_CSUM)))).toEqual(['net.tx.driver.31']);
    expect(clauses(txHeaderFindings(tso(1), set(N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO6)))).toEqual(['net.tx.driver.7']);
    expect(clauses(txHeaderFindings(tso(4), set(N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4)))).toEqual(['net.tx.driver.9']);
    expect(txHeaderFindings(tso(0x81), set(N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4))).toEqual([]);
    expect(clauses(txHeaderFindings({ ...tso(1), flags: 0, gsoSize: 0 }, set(N.VIRTIO_NET_F_HOST_TSO4)))).toEqual(['net.tx.driver.32', 'net.tx.driver.33']);
  });
});
