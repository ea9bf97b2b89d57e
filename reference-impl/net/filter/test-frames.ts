/**
 * Frame builders for the net control, filter and RSS tests: Ethernet with
 * optional 802.1Q tags, IPv4, IPv6 with extension headers, TCP and UDP
 * headers. Test support only; nothing in the device imports it.
 *
 * @module
 */

/** Bytes of `aa:bb:cc:dd:ee:ff`. */
export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

/** Bytes of a dotted IPv4 address. */
export function ip4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.'), Number);
}

/** Bytes of an IPv6 address in RFC 5952 text form (with at most one `::`). */
export function ip6(text: string): Uint8Array {
  const [left = '', right] = text.split('::');
  const l = left === '' ? [] : left.split(':');
  const r = right === undefined || right === '' ? [] : right.split(':');
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Big-endian 16-bit value. */
export function be16(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

/** Concatenation. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Ethernet frame; each entry of `vlans` is a TCI pushed as an 802.1Q tag (or `[tpid, tci]`). */
export function ethernet(opts: {
  readonly dst: Uint8Array;
  readonly src?: Uint8Array;
  readonly etherType: number;
  readonly payload?: Uint8Array;
  readonly vlans?: readonly (number | readonly [number, number])[];
}): Uint8Array {
  const tags = (opts.vlans ?? []).map((t) => (typeof t === 'number' ? concat(be16(0x8100), be16(t)) : concat(be16(t[0]), be16(t[1]))));
  return concat(opts.dst, opts.src ?? mac('02:00:00:00:00:99'), ...tags, be16(opts.etherType), opts.payload ?? new Uint8Array(46));
}

/** TCP header (20 bytes, ports set, rest zero but data offset 5). */
export function tcp(sport: number, dport: number): Uint8Array {
  const h = new Uint8Array(20);
  h.set(be16(sport), 0);
  h.set(be16(dport), 2);
  h[12] = 5 << 4;
  return h;
}

/** UDP header (8 bytes). */
export function udp(sport: number, dport: number, payloadLength = 0): Uint8Array {
  return concat(be16(sport), be16(dport), be16(8 + payloadLength), be16(0));
}

/** IPv4 packet; `fragment` sets MF and/or the fragment offset (8-byte units). */
export function ipv4(opts: {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly protocol: number;
  readonly payload: Uint8Array;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  readonly options?: Uint8Array;
}): Uint8Array {
  const options = opts.options ?? new Uint8Array(0);
  const ihl = 5 + options.length / 4;
  const h = new Uint8Array(20);
  h[0] = 0x40 | ihl;
  h.set(be16(ihl * 4 + opts.payload.length), 2);
  h.set(be16(((opts.moreFragments === true ? 1 : 0) << 13) | (opts.fragmentOffset ?? 0)), 6);
  h[8] = 64;
  h[9] = opts.protocol;
  h.set(opts.src, 12);
  h.set(opts.dst, 16);
  return concat(h, options, opts.payload);
}

/** One IPv6 extension header: `next` header, then `body` (padded to a multiple of 8 with the 2-byte head). */
export interface Ipv6Extension {
  /** 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options, 51 AH. */
  readonly type: number;
  /** Header bytes after next-header and length (for fragment: the 6 bytes after next-header and reserved). */
  readonly body: Uint8Array;
}

/** IPv6 packet with `extensions` chained in order before the upper-layer `payload`. */
export function ipv6(opts: {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly nextHeader: number;
  readonly payload: Uint8Array;
  readonly extensions?: readonly Ipv6Extension[];
}): Uint8Array {
  const exts = opts.extensions ?? [];
  const encoded: Uint8Array[] = exts.map((e, i) => {
    const next = i + 1 < exts.length ? (exts[i + 1] as Ipv6Extension).type : opts.nextHeader;
    if (e.type === 44) return concat(Uint8Array.of(next, 0), e.body.subarray(0, 6));
    if (e.type === 51) {
      const total = 2 + e.body.length; // multiple of 4
      return concat(Uint8Array.of(next, total / 4 - 2), e.body);
    }
    const total = 2 + e.body.length; // multiple of 8
    return concat(Uint8Array.of(next, total / 8 - 1), e.body);
  });
  const rest = concat(...encoded, opts.payload);
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h.set(be16(rest.length), 4);
  h[6] = exts.length > 0 ? (exts[0] as Ipv6Extension).type : opts.nextHeader;
  h[7] = 64;
  h.set(opts.src, 8);
  h.set(opts.dst, 24);
  return concat(h, rest);
}

/** Destination options body carrying a home address option (with padding to 24 bytes total). */
export function homeAddressOption(home: Uint8Array): Uint8Array {
  // 2-byte head + PadN(4) + HAO(2 + 16) = 24
  return concat(Uint8Array.of(1, 2, 0, 0), Uint8Array.of(0xc9, 16), home);
}

/** Routing header type 2 body (after next-header and length): type 2, segments left 1, reserved, address. */
export function routingType2(address: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(2, 1, 0, 0, 0, 0), address);
}

/** Fragment header body: offset (8-byte units) and M flag, identification. */
export function fragmentBody(offset: number, more: boolean): Uint8Array {
  return concat(be16((offset << 3) | (more ? 1 : 0)), Uint8Array.of(0, 0, 0, 1));
}

/** Ethernet + IPv4 + TCP/UDP frame. */
export function ipv4Frame(src: string, dst: string, l4: 'tcp' | 'udp', sport: number, dport: number, dstMac = mac('02:00:00:00:00:01')): Uint8Array {
  const payload = l4 === 'tcp' ? tcp(sport, dport) : udp(sport, dport);
  return ethernet({ dst: dstMac, etherType: 0x0800, payload: ipv4({ src: ip4(src), dst: ip4(dst), protocol: l4 === 'tcp' ? 6 : 17, payload }) });
}

/** Ethernet + IPv6 + TCP/UDP frame. */
export function ipv6Frame(src: string, dst: string, l4: 'tcp' | 'udp', sport: number, dport: number): Uint8Array {
  const payload = l4 === 'tcp' ? tcp(sport, dport) : udp(sport, dport);
  return ethernet({ dst: mac('02:00:00:00:00:01'), etherType: 0x86dd, payload: ipv6({ src: ip6(src), dst: ip6(dst), nextHeader: l4 === 'tcp' ? 6 : 17, payload }) });
}
