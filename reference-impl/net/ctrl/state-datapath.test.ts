import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import * as H from '../../../specs/net/hash.js';
import { concat, ethernet, ipv4Frame, mac } from '../filter/test-frames.js';
import { toeplitzBits } from '../rss/toeplitz-model.js';
import { hashConfigPayload, le16, macTablePayload, rssConfigPayload } from './test-payloads.js';
import { DEVICE_MAC, makeState } from './test-state.js';

const OTHER = mac('52:54:00:99:99:99');
const TABLE_UC = mac('52:54:00:aa:aa:aa');
const MCAST = mac('01:00:5e:00:00:09');
const TABLE_MC = mac('01:00:5e:00:00:01');
const BCAST = mac('ff:ff:ff:ff:ff:ff');

describe('receive filter through the control queue (the qemu-qtest.md §4 sequence)', () => {
  const frames = {
    own: ethernet({ dst: DEVICE_MAC, etherType: 0x0800 }),
    other: ethernet({ dst: OTHER, etherType: 0x0800 }),
    tableUc: ethernet({ dst: TABLE_UC, etherType: 0x0800 }),
    bcast: ethernet({ dst: BCAST, etherType: 0x0800 }),
    mcast: ethernet({ dst: MCAST, etherType: 0x0800 }),
    tableMc: ethernet({ dst: TABLE_MC, etherType: 0x0800 }),
    vlan100: ethernet({ dst: DEVICE_MAC, etherType: 0x0800, vlans: [100] }),
    vlan200: ethernet({ dst: DEVICE_MAC, etherType: 0x0800, vlans: [200] }),
  };
  const row = (s: ReturnType<typeof makeState>): string =>
    Object.values(frames)
      .map((f) => (s.rxFilterAccepts(f) ? 'pass' : 'drop'))
      .join(' ');

  it('matches the observed table row by row', () => {
    const s = makeState();
    const ok = (klass: number, cmd: number, payload: Uint8Array): void => {
      expect(s.handleCommand(klass, cmd, payload, 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    };
    expect(row(s)).toBe('pass pass pass pass pass pass pass pass');
    ok(0, 0, Uint8Array.of(0));
    expect(row(s)).toBe('pass drop drop pass drop drop drop drop');
    ok(1, 0, macTablePayload([TABLE_UC], [TABLE_MC]));
    ok(2, 0, le16(100));
    expect(row(s)).toBe('pass drop pass pass drop pass pass drop');
    ok(0, 1, Uint8Array.of(1));
    ok(0, 5, Uint8Array.of(1));
    expect(row(s)).toBe('pass drop pass drop pass pass pass drop');
    ok(0, 0, Uint8Array.of(1));
    expect(row(s)).toBe('pass pass pass pass pass pass pass pass');
  });
});

const tuple = fc.record({
  src: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.')),
  dst: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.')),
  sport: fc.nat(0xffff),
  dport: fc.nat(0xffff),
  l4: fc.constantFrom('tcp' as const, 'udp' as const),
});
const frameArb = fc.oneof(
  tuple.map((t) => ipv4Frame(t.src, t.dst, t.l4, t.sport, t.dport)),
  fc.constant(ethernet({ dst: BCAST, etherType: 0x0806 })),
);

/** A valid MQ-class command for a device with 4 pairs. */
const mqCommand = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((n) => ({ cmd: 0, payload: le16(n) })),
  fc
    .record({
      log2: fc.integer({ min: 0, max: 7 }),
      entries: fc.array(fc.nat(3), { minLength: 128, maxLength: 128 }),
      unclassified: fc.nat(3),
      maxTxVq: fc.integer({ min: 1, max: 4 }),
      hashTypes: fc.nat(H.VIRTIO_NET_RSS_HASH_TYPE_MASK),
      key: fc.uint8Array({ minLength: 40, maxLength: 40 }),
    })
    .map((r) => ({ cmd: 1, payload: rssConfigPayload({ hashTypes: r.hashTypes, table: r.entries.slice(0, 1 << r.log2), unclassified: r.unclassified, maxTxVq: r.maxTxVq, key: r.key }) })),
  fc.nat(H.VIRTIO_NET_RSS_HASH_TYPE_MASK).map((t) => ({ cmd: 2, payload: hashConfigPayload(t) })),
);

describe('steering through the control queue', () => {
  test.prop([fc.array(mqCommand, { maxLength: 6 }), fc.array(frameArb, { minLength: 1, maxLength: 10 })], { numRuns: 300 })(
    'a steered pair is always active; under RSS it is table[hash & mask] or unclassified_queue',
    (cmds, rxFrames) => {
      const s = makeState();
      for (const c of cmds) expect(s.handleCommand(4, c.cmd, c.payload, 0)).toMatchObject({ ack: VIRTIO_NET_OK });
      for (const f of rxFrames) {
        const d = s.steer(f);
        expect(d.queuePair).toBeGreaterThanOrEqual(0);
        expect(d.queuePair).toBeLessThan(s.activePairs);
        const rss = s.rss;
        if (rss !== null) {
          expect(d.queuePair).toBe(d.hash === undefined ? rss.unclassifiedQueue : rss.indirectionTable[d.hash.value & rss.indirectionTableMask]);
        }
        if (d.hash !== undefined) expect(s.hashConfig.hashTypes & H.hashTypeForReport(d.hash.report)).not.toBe(0);
      }
    },
  );

  it('after reset: pair 0, no hash (net.ctrl.mq.device.1, net.ctrl.hashcfg.any.2)', () => {
    const s = makeState();
    expect(s.steer(ipv4Frame('1.2.3.4', '5.6.7.8', 'tcp', 1, 2))).toEqual({ queuePair: 0 });
  });

  it('HASH_CONFIG alone: hash reported, steering stays on pair 0', () => {
    const s = makeState();
    const key = new Uint8Array(40).fill(0x6d);
    s.handleCommand(4, 2, hashConfigPayload(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4, key), 0);
    const d = s.steer(ipv4Frame('10.0.0.1', '10.0.0.2', 'udp', 53, 1053));
    const input = concat(Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2), le16be(53), le16be(1053));
    expect(d).toEqual({ queuePair: 0, hash: { value: toeplitzBits(key, input), report: H.VIRTIO_NET_HASH_REPORT_UDPv4 } });
  });

  it('automatic steering follows the transmit pair of a flow (net.ctrl.mq.device.0d)', () => {
    const s = makeState();
    s.handleCommand(4, 0, le16(4), 0);
    s.noteTransmit(ipv4Frame('10.0.0.2', '10.0.0.1', 'tcp', 40000, 443), 2);
    expect(s.steer(ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 443, 40000)).queuePair).toBe(2);
    s.handleCommand(4, 0, le16(2), 0);
    expect(s.steer(ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 443, 40000)).queuePair).toBeLessThan(2);
  });

  it('steerOrDrop: RSS drops for a resetting target; automatic re-selects; all resetting drops', () => {
    const frame = ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 1, 2);
    const s = makeState();
    s.handleCommand(4, 1, rssConfigPayload({ hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, table: [3], maxTxVq: 4 }), 0);
    expect(s.steerOrDrop(frame, () => false)).toMatchObject({ kind: 'deliver', queuePair: 3 });
    expect(s.steerOrDrop(frame, (p) => p === 3)).toMatchObject({ kind: 'drop', clause: 'net.ctrl.rss.device.2' });
    s.handleCommand(4, 0, le16(4), 0);
    const first = s.steer(frame).queuePair;
    const moved = s.steerOrDrop(frame, (p) => p === first);
    expect(moved.kind === 'deliver' && moved.queuePair !== first && moved.queuePair < 4).toBe(true);
    expect(s.steerOrDrop(frame, () => true)).toMatchObject({ kind: 'drop', clause: 'net.ctrl.mq.device.4' });
  });
});

function le16be(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}
