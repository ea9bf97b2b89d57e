/**
 * A minimal `struct sk_buff`: the fields of a packet that virtio-net reads
 * on transmit and fills on receive. Bytes are plain JavaScript arrays
 * outside guest memory; the driver copies them into and out of guest
 * buffers, which is where a real stack's skb data would already live.
 *
 * @module
 */

/** `skb->ip_summed`. */
export type IpSummed =
  /** Nothing known / the checksum is complete (`CHECKSUM_NONE`). */
  | 'none'
  /** Verified by the device (`CHECKSUM_UNNECESSARY`, from DATA_VALID). */
  | 'unnecessary'
  /** Partial: the field at csumStart + csumOffset needs completing (`CHECKSUM_PARTIAL`). */
  | 'partial';

/** `skb_shinfo(skb)->gso_type`, as far as virtio-net distinguishes it. */
export type SkbGsoType = 'tcpv4' | 'tcpv6' | 'udp' | 'udp_l4';

/** GSO metadata (`skb_shinfo(skb)->gso_*`). */
export interface SkbGso {
  readonly type: SkbGsoType;
  /** MSS. */
  readonly size: number;
  /** SKB_GSO_TCP_ECN. */
  readonly ecn: boolean;
}

/** `skb_set_hash` result types. */
export type PktHashType = 'none' | 'l3' | 'l4';

/** A packet. */
export interface Skb {
  /** Linear data from the Ethernet header on (`skb->data`, `skb_headlen` bytes). */
  data: Uint8Array;
  /** Paged fragments that follow the linear data (`skb_shinfo(skb)->frags`). */
  frags: Uint8Array[];
  /** TX: the queue the stack picked; RX: the queue it came from (`skb->queue_mapping`). */
  queueMapping: number;
  ipSummed: IpSummed;
  /** With `partial`: checksum start, from the start of the frame. */
  csumStart: number;
  /** With `partial`: offset of the checksum field from csumStart. */
  csumOffset: number;
  /** GSO metadata, or null. */
  gso: SkbGso | null;
  /** RX hash value (`skb->hash`), 0 when none. */
  hash: number;
  /** RX hash type. */
  hashType: PktHashType;
  /** TX: more packets follow at once (`netdev_xmit_more()`), so the kick may wait. */
  xmitMore: boolean;
  /**
   * TX, for the `can_push` test of xmit_skb: headroom in front of `data`.
   * Undefined means the stack honoured `dev->needed_headroom`.
   */
  headroom?: number;
  /** TX: the header is shared with a clone (`skb_header_cloned`), so it cannot be pushed into. */
  headerCloned?: boolean;
  /** TX: `skb->data` is not 2-byte aligned, so the header cannot be pushed in front of it. */
  misaligned?: boolean;
}

/** Options of {@link makeSkb}. */
export type SkbInit = Partial<Omit<Skb, 'data'>>;

/** A packet around `data` (copied), with everything else defaulted. */
export function makeSkb(data: Uint8Array, init: SkbInit = {}): Skb {
  return {
    data: data.slice(),
    frags: init.frags?.map((f) => f.slice()) ?? [],
    queueMapping: init.queueMapping ?? 0,
    ipSummed: init.ipSummed ?? 'none',
    csumStart: init.csumStart ?? 0,
    csumOffset: init.csumOffset ?? 0,
    gso: init.gso ?? null,
    hash: init.hash ?? 0,
    hashType: init.hashType ?? 'none',
    xmitMore: init.xmitMore ?? false,
    ...(init.headroom === undefined ? {} : { headroom: init.headroom }),
    ...(init.headerCloned === undefined ? {} : { headerCloned: init.headerCloned }),
    ...(init.misaligned === undefined ? {} : { misaligned: init.misaligned }),
  };
}

/** `skb->len`: linear plus paged bytes. */
export function skbLen(skb: Skb): number {
  let n = skb.data.length;
  for (const f of skb.frags) n += f.length;
  return n;
}

/** The whole frame as one array (linearised copy). */
export function skbBytes(skb: Skb): Uint8Array {
  if (skb.frags.length === 0) return skb.data.slice();
  const out = new Uint8Array(skbLen(skb));
  out.set(skb.data, 0);
  let at = skb.data.length;
  for (const f of skb.frags) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** `eth_hdr(skb)->h_proto`, or −1 when the frame is shorter than an Ethernet header. */
export function ethProto(frame: Uint8Array): number {
  if (frame.length < 14) return -1;
  return ((frame[12] as number) << 8) | (frame[13] as number);
}

/** EtherType IPv4. */
export const ETH_P_IP = 0x0800;
/** EtherType IPv6. */
export const ETH_P_IPV6 = 0x86dd;
/** EtherType 802.1Q. */
export const ETH_P_8021Q = 0x8100;

/**
 * The internet checksum of `bytes[start..]` folded into 16 bits and stored
 * at `start + offset` (`skb_checksum_help`): what the stack does itself when
 * the device cannot complete a partial checksum. The field already holds
 * the pseudo-header sum, as a partial checksum requires.
 */
export function completeChecksum(bytes: Uint8Array, start: number, offset: number): void {
  let sum = 0;
  for (let i = start; i < bytes.length; i += 2) {
    sum += ((bytes[i] as number) << 8) | (i + 1 < bytes.length ? (bytes[i + 1] as number) : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const csum = ~sum & 0xffff;
  bytes[start + offset] = csum >>> 8;
  bytes[start + offset + 1] = csum & 0xff;
}
