import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as H from '../../../specs/net/hash.js';
import { be16, concat, ethernet, ip4, ip6, ipv4Frame, ipv6Frame, mac } from '../filter/test-frames.js';
import type { RssConfig } from './rss-config.js';
import { FlowSteering, SYMMETRIC_FLOW_KEY, computeHash, flowHash, rssSteer } from './steering.js';
import { RSS_VERIFICATION_KEY } from './toeplitz.js';
import { toeplitzBits } from './toeplitz-model.js';

describe('computeHash on whole frames: Microsoft verification vectors', () => {
  const v4 = [
    ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
    ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
  ] as const;
  it.each(v4)('IPv4 dst %s:%i src %s:%i', (dst, dport, src, sport, ipOnly, withTcp) => {
    const f = ipv4Frame(src, dst, 'tcp', sport, dport);
    expect(computeHash(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, RSS_VERIFICATION_KEY)).toEqual({ value: withTcp, report: H.VIRTIO_NET_HASH_REPORT_TCPv4 });
    expect(computeHash(f, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4, RSS_VERIFICATION_KEY)).toEqual({ value: ipOnly, report: H.VIRTIO_NET_HASH_REPORT_IPv4 });
  });
  it('IPv6 dst 3ffe:2501:200:3::1:1766 src 3ffe:2501:200:1fff::7:2794', () => {
    const f = ipv6Frame('3ffe:2501:200:1fff::7', '3ffe:2501:200:3::1', 'tcp', 2794, 1766);
    expect(computeHash(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6, RSS_VERIFICATION_KEY)).toEqual({ value: 0x40207d3d, report: H.VIRTIO_NET_HASH_REPORT_TCPv6 });
    expect(computeHash(f, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6, RSS_VERIFICATION_KEY)).toEqual({ value: 0x2cc18cd5, report: H.VIRTIO_NET_HASH_REPORT_IPv6 });
  });
  it('returns null when no enabled type applies', () => {
    expect(computeHash(ipv4Frame('1.1.1.1', '2.2.2.2', 'udp', 1, 2), H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, RSS_VERIFICATION_KEY)).toBeNull();
  });
});

const tuple = fc.record({
  src: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  dst: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  sport: fc.nat(0xffff),
  dport: fc.nat(0xffff),
  l4: fc.constantFrom('tcp' as const, 'udp' as const),
});
const dotted = (b: Uint8Array): string => Array.from(b).join('.');

const rssConfig: fc.Arbitrary<RssConfig> = fc
  .record({
    log2: fc.integer({ min: 0, max: 7 }),
    pairs: fc.integer({ min: 1, max: 8 }),
    hashTypes: fc.nat(H.VIRTIO_NET_RSS_HASH_TYPE_MASK),
    key: fc.uint8Array({ minLength: 40, maxLength: 40 }),
    seed: fc.array(fc.nat(), { minLength: 128, maxLength: 128 }),
  })
  .map(({ log2, pairs, hashTypes, key, seed }) => {
    const n = 1 << log2;
    return {
      hashTypes,
      indirectionTableMask: n - 1,
      unclassifiedQueue: (seed[0] as number) % pairs,
      indirectionTable: Uint16Array.from({ length: n }, (_, i) => (seed[i] as number) % pairs),
      maxTxVq: pairs,
      key,
    };
  });

describe('rssSteer', () => {
  test.prop([rssConfig, tuple], { numRuns: 300 })('IPv4 frames go to table[hash & mask], hash from the bit-level model', (config, t) => {
    const frame = ipv4Frame(dotted(t.src), dotted(t.dst), t.l4, t.sport, t.dport);
    const l4Type = t.l4 === 'tcp' ? H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4 : H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4;
    const d = rssSteer(config, frame);
    let input: Uint8Array | null = null;
    if ((config.hashTypes & l4Type) !== 0) input = concat(t.src, t.dst, be16(t.sport), be16(t.dport));
    else if ((config.hashTypes & H.VIRTIO_NET_RSS_HASH_TYPE_IPv4) !== 0) input = concat(t.src, t.dst);
    if (input === null) {
      expect(d).toEqual({ queuePair: config.unclassifiedQueue });
    } else {
      const hash = toeplitzBits(config.key, input);
      expect(d.hash?.value).toBe(hash);
      expect(d.queuePair).toBe(config.indirectionTable[hash & config.indirectionTableMask]);
    }
    expect(d.queuePair).toBeLessThan(config.maxTxVq);
  });

  it('sends a non-IP frame to unclassified_queue without a hash', () => {
    const config: RssConfig = { hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_MASK, indirectionTableMask: 0, unclassifiedQueue: 3, indirectionTable: Uint16Array.of(1), maxTxVq: 4, key: RSS_VERIFICATION_KEY };
    expect(rssSteer(config, ethernet({ dst: mac('ff:ff:ff:ff:ff:ff'), etherType: 0x0806 }))).toEqual({ queuePair: 3 });
  });
});

describe('flow steering (automatic mode)', () => {
  test.prop([tuple])('flowHash is direction independent (symmetric key)', (t) => {
    const out = ipv4Frame(dotted(t.src), dotted(t.dst), t.l4, t.sport, t.dport);
    const back = ipv4Frame(dotted(t.dst), dotted(t.src), t.l4, t.dport, t.sport);
    expect(flowHash(out)).toBe(flowHash(back));
    expect(flowHash(out)).toBe(toeplitzBits(SYMMETRIC_FLOW_KEY, concat(t.src, t.dst, be16(t.sport), be16(t.dport))));
  });

  test.prop([fc.array(tuple, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 16 }), fc.nat(15)])(
    'replies land on the transmit pair while it is active; picks stay below activePairs',
    (flows, activePairs, txPair) => {
      const steering = new FlowSteering();
      for (const t of flows) steering.noteTransmit(ipv4Frame(dotted(t.src), dotted(t.dst), t.l4, t.sport, t.dport), txPair);
      for (const t of flows) {
        const reply = ipv4Frame(dotted(t.dst), dotted(t.src), t.l4, t.dport, t.sport);
        const pair = steering.pick(reply, activePairs);
        expect(pair).toBeLessThan(activePairs);
        if (txPair < activePairs && activePairs > 1) expect(pair).toBe(txPair);
      }
    },
  );

  it('non-IP frames and a single pair go to pair 0; the table forgets past its capacity', () => {
    const s = new FlowSteering(2);
    expect(s.pick(ethernet({ dst: mac('ff:ff:ff:ff:ff:ff'), etherType: 0x0806 }), 8)).toBe(0);
    expect(s.pick(ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 2), 1)).toBe(0);
    s.noteTransmit(ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 2), 5);
    s.noteTransmit(ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 3), 5);
    expect(s.size).toBe(2);
    s.noteTransmit(ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 4), 5);
    expect(s.size).toBe(1);
    s.clear();
    expect(s.size).toBe(0);
  });

  it('IPv6 flows hash too', () => {
    expect(flowHash(ipv6Frame('2001:db8::1', '2001:db8::2', 'udp', 1, 2))).toBe(flowHash(ipv6Frame('2001:db8::2', '2001:db8::1', 'udp', 2, 1)));
    expect(flowHash(ipv6Frame('2001:db8::1', '2001:db8::2', 'udp', 1, 2))).toBe(
      toeplitzBits(SYMMETRIC_FLOW_KEY, concat(ip6('2001:db8::1'), ip6('2001:db8::2'), be16(1), be16(2))),
    );
    expect(ip4('1.2.3.4')).toEqual(Uint8Array.of(1, 2, 3, 4));
  });
});
