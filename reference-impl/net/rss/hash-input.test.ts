import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as H from '../../../specs/net/hash.js';
import {
  be16, concat, ethernet, fragmentBody, homeAddressOption, ip4, ip6, ipv4, ipv4Frame, ipv6, type Ipv6Extension, mac, routingType2, tcp, udp,
} from '../filter/test-frames.js';
import { HASH_INPUT_MAX, hashInputLength, selectHashInput } from './hash-input.js';

const ALL = H.VIRTIO_NET_RSS_HASH_TYPE_MASK;
const DST = mac('02:00:00:00:00:01');

function select(frame: Uint8Array, types: number): { report: number; input: Uint8Array } {
  const out = new Uint8Array(HASH_INPUT_MAX);
  const report = selectHashInput(frame, types, out);
  return { report, input: out.slice(0, hashInputLength(report)) };
}

describe('selectHashInput: examples', () => {
  it('IPv4/TCP with every type: addresses then ports, report TCPv4', () => {
    const r = select(ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 1234, 80), ALL);
    expect(r.report).toBe(H.VIRTIO_NET_HASH_REPORT_TCPv4);
    expect(Array.from(r.input)).toEqual([10, 0, 0, 1, 10, 0, 0, 2, 0x04, 0xd2, 0, 80]);
  });

  it('IPv4/TCP falls back to addresses when only IPv4 is enabled, and to nothing with UDPv4 only', () => {
    const f = ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 1234, 80);
    expect(select(f, H.VIRTIO_NET_RSS_HASH_TYPE_IPv4)).toEqual({ report: H.VIRTIO_NET_HASH_REPORT_IPv4, input: Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2) });
    expect(select(f, H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4).report).toBe(H.VIRTIO_NET_HASH_REPORT_NONE);
    expect(select(f, 0).report).toBe(H.VIRTIO_NET_HASH_REPORT_NONE);
  });

  it('skips an 802.1ad + 802.1Q tag pair and IPv4 options', () => {
    const ip = ipv4({ src: ip4('1.1.1.1'), dst: ip4('2.2.2.2'), protocol: 17, payload: udp(53, 5353), options: Uint8Array.of(1, 1, 1, 1) });
    const f = ethernet({ dst: DST, etherType: 0x0800, payload: ip, vlans: [[0x88a8, 5], [0x8100, 7]] });
    const r = select(f, ALL);
    expect(r.report).toBe(H.VIRTIO_NET_HASH_REPORT_UDPv4);
    expect(Array.from(r.input.subarray(8))).toEqual([0, 53, 0x14, 0xe9]);
  });

  it('treats IPv4 fragments and a truncated TCP header as having no TCP header', () => {
    const first = ethernet({ dst: DST, etherType: 0x0800, payload: ipv4({ src: ip4('1.1.1.1'), dst: ip4('2.2.2.2'), protocol: 6, payload: tcp(1, 2), moreFragments: true }) });
    const later = ethernet({ dst: DST, etherType: 0x0800, payload: ipv4({ src: ip4('1.1.1.1'), dst: ip4('2.2.2.2'), protocol: 6, payload: tcp(1, 2), fragmentOffset: 100 }) });
    const short = ethernet({ dst: DST, etherType: 0x0800, payload: ipv4({ src: ip4('1.1.1.1'), dst: ip4('2.2.2.2'), protocol: 6, payload: tcp(1, 2).subarray(0, 10) }) });
    for (const f of [first, later, short]) expect(select(f, ALL).report).toBe(H.VIRTIO_NET_HASH_REPORT_IPv4);
  });

  it('gives no hash for ARP, runts and a bad IPv4 header', () => {
    expect(select(ethernet({ dst: DST, etherType: 0x0806 }), ALL).report).toBe(0);
    expect(select(ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 2).subarray(0, 30), ALL).report).toBe(0);
    const bad = ipv4Frame('1.1.1.1', '2.2.2.2', 'tcp', 1, 2);
    bad[14] = 0x44; // IHL 4 < 5
    expect(select(bad, ALL).report).toBe(0);
  });

  it('IPv6 without extension headers ignores the _EX types (spec section split)', () => {
    const f = ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: ip6('2001:db8::1'), dst: ip6('2001:db8::2'), nextHeader: 6, payload: tcp(1, 2) }) });
    expect(select(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCP_EX | H.VIRTIO_NET_RSS_HASH_TYPE_IP_EX).report).toBe(0);
    expect(select(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6).report).toBe(H.VIRTIO_NET_HASH_REPORT_TCPv6);
  });

  it('IPv6 _EX types take the home address and the routing header type 2 address', () => {
    const home = ip6('2001:db8:aaaa::1');
    const routed = ip6('2001:db8:bbbb::2');
    const exts: Ipv6Extension[] = [
      { type: 43, body: routingType2(routed) },
      { type: 60, body: homeAddressOption(home) },
    ];
    const f = ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: ip6('2001:db8::1'), dst: ip6('2001:db8::2'), nextHeader: 6, payload: tcp(7, 9), extensions: exts }) });
    const r = select(f, ALL);
    expect(r.report).toBe(H.VIRTIO_NET_HASH_REPORT_TCPv6_EX);
    expect(r.input).toEqual(concat(home, routed, be16(7), be16(9)));
    // without _EX types the plain rules use the header addresses
    const plain = select(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6);
    expect(plain.report).toBe(H.VIRTIO_NET_HASH_REPORT_TCPv6);
    expect(plain.input).toEqual(concat(ip6('2001:db8::1'), ip6('2001:db8::2'), be16(7), be16(9)));
  });

  it('IPv6 fragments: an atomic fragment keeps ports, a real one does not', () => {
    const mk = (offset: number, more: boolean): Uint8Array =>
      ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: ip6('::1'), dst: ip6('::2'), nextHeader: 17, payload: udp(1, 2), extensions: [{ type: 44, body: fragmentBody(offset, more) }] }) });
    const types = H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6 | H.VIRTIO_NET_RSS_HASH_TYPE_IPv6;
    expect(select(mk(0, false), types).report).toBe(H.VIRTIO_NET_HASH_REPORT_UDPv6);
    expect(select(mk(0, true), types).report).toBe(H.VIRTIO_NET_HASH_REPORT_IPv6);
    expect(select(mk(3, false), types).report).toBe(H.VIRTIO_NET_HASH_REPORT_IPv6);
  });

  it('IPv6 walks AH; a truncated extension header leaves addresses only', () => {
    const ah: Ipv6Extension = { type: 51, body: new Uint8Array(10) };
    const f = ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: ip6('::1'), dst: ip6('::2'), nextHeader: 6, payload: tcp(1, 2), extensions: [ah] }) });
    expect(select(f, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6).report).toBe(H.VIRTIO_NET_HASH_REPORT_TCPv6);
    const cut = ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: ip6('::1'), dst: ip6('::2'), nextHeader: 6, payload: new Uint8Array(0), extensions: [{ type: 0, body: new Uint8Array(14) }] }) });
    cut[14 + 41] = 5; // hop-by-hop claims 48 bytes
    expect(select(cut, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6 | H.VIRTIO_NET_RSS_HASH_TYPE_IPv6).report).toBe(H.VIRTIO_NET_HASH_REPORT_IPv6);
  });

  it('hashInputLength matches the fields of each report', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(hashInputLength)).toEqual([0, 8, 12, 12, 32, 36, 36, 32, 36, 36, 0]);
  });
});

/** An abstract packet: what the spec's selection rules look at. */
interface Desc {
  readonly ip: 4 | 6;
  readonly l4: 'tcp' | 'udp' | 'icmp';
  readonly fragmented: boolean;
  readonly hbh: boolean;
  readonly home: boolean;
  readonly routed: boolean;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly sport: number;
  readonly dport: number;
}

const HOME = ip6('2001:db8:1::99');
const ROUTED = ip6('2001:db8:2::99');

function build(d: Desc): Uint8Array {
  const proto = d.l4 === 'tcp' ? 6 : d.l4 === 'udp' ? 17 : d.ip === 4 ? 1 : 58;
  const l4 = d.l4 === 'tcp' ? tcp(d.sport, d.dport) : d.l4 === 'udp' ? udp(d.sport, d.dport) : new Uint8Array(8);
  if (d.ip === 4) {
    return ethernet({ dst: DST, etherType: 0x0800, payload: ipv4({ src: d.src, dst: d.dst, protocol: proto, payload: l4, moreFragments: d.fragmented }) });
  }
  const exts: Ipv6Extension[] = [];
  if (d.hbh) exts.push({ type: 0, body: new Uint8Array(6) });
  if (d.routed) exts.push({ type: 43, body: routingType2(ROUTED) });
  if (d.fragmented) exts.push({ type: 44, body: fragmentBody(0, true) });
  if (d.home) exts.push({ type: 60, body: homeAddressOption(HOME) });
  return ethernet({ dst: DST, etherType: 0x86dd, payload: ipv6({ src: d.src, dst: d.dst, nextHeader: proto, payload: l4, extensions: exts }) });
}

/**
 * The spec's rules (5.1.9.4.3) as ordered (type, applies) lists per packet
 * kind; the first enabled entry that applies decides.
 */
function model(d: Desc, types: number): { report: number; input: Uint8Array } {
  const ports = concat(be16(d.sport), be16(d.dport));
  const hasTcp = d.l4 === 'tcp' && !d.fragmented;
  const hasUdp = d.l4 === 'udp' && !d.fragmented;
  const addrs = concat(d.src, d.dst);
  const exAddrs = concat(d.home ? HOME : d.src, d.routed ? ROUTED : d.dst);
  const rules: [number, boolean, number, Uint8Array][] =
    d.ip === 4
      ? [
          [H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, hasTcp, H.VIRTIO_NET_HASH_REPORT_TCPv4, concat(addrs, ports)],
          [H.VIRTIO_NET_RSS_HASH_TYPE_UDPv4, hasUdp, H.VIRTIO_NET_HASH_REPORT_UDPv4, concat(addrs, ports)],
          [H.VIRTIO_NET_RSS_HASH_TYPE_IPv4, true, H.VIRTIO_NET_HASH_REPORT_IPv4, addrs],
        ]
      : [
          ...(d.hbh || d.routed || d.fragmented || d.home
            ? ([
                [H.VIRTIO_NET_RSS_HASH_TYPE_TCP_EX, hasTcp, H.VIRTIO_NET_HASH_REPORT_TCPv6_EX, concat(exAddrs, ports)],
                [H.VIRTIO_NET_RSS_HASH_TYPE_UDP_EX, hasUdp, H.VIRTIO_NET_HASH_REPORT_UDPv6_EX, concat(exAddrs, ports)],
                [H.VIRTIO_NET_RSS_HASH_TYPE_IP_EX, true, H.VIRTIO_NET_HASH_REPORT_IPv6_EX, exAddrs],
              ] as [number, boolean, number, Uint8Array][])
            : []),
          [H.VIRTIO_NET_RSS_HASH_TYPE_TCPv6, hasTcp, H.VIRTIO_NET_HASH_REPORT_TCPv6, concat(addrs, ports)],
          [H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6, hasUdp, H.VIRTIO_NET_HASH_REPORT_UDPv6, concat(addrs, ports)],
          [H.VIRTIO_NET_RSS_HASH_TYPE_IPv6, true, H.VIRTIO_NET_HASH_REPORT_IPv6, addrs],
        ];
  for (const [type, applies, report, input] of rules) if ((types & type) !== 0 && applies) return { report, input };
  return { report: 0, input: new Uint8Array(0) };
}

const desc: fc.Arbitrary<Desc> = fc.oneof(
  fc.record({
    ip: fc.constant(4 as const),
    l4: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
    fragmented: fc.boolean(),
    hbh: fc.constant(false),
    home: fc.constant(false),
    routed: fc.constant(false),
    src: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    dst: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    sport: fc.nat(0xffff),
    dport: fc.nat(0xffff),
  }),
  fc.record({
    ip: fc.constant(6 as const),
    l4: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
    fragmented: fc.boolean(),
    hbh: fc.boolean(),
    home: fc.boolean(),
    routed: fc.boolean(),
    src: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dst: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    sport: fc.nat(0xffff),
    dport: fc.nat(0xffff),
  }),
);

describe('selectHashInput: property against the spec-rule model', () => {
  test.prop([desc, fc.nat(ALL)], { numRuns: 500 })('report and input bytes match the model', (d, types) => {
    const got = select(build(d), types);
    const want = model(d, types);
    expect(got.report).toBe(want.report);
    expect(got.input).toEqual(want.input);
    if (got.report !== 0) expect(types & H.hashTypeForReport(got.report)).not.toBe(0);
  });
});
