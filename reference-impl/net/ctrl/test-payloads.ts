/**
 * Encoders for control command payloads, written from the spec layouts
 * (facts.md §7), for the tests. Test support only.
 *
 * @module
 */

/** le16. */
export function le16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

/** le32. */
export function le32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/** le64 from a bigint. */
export function le64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

function cat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `struct virtio_net_rss_config`: 11 + 2n + k bytes. */
export function rssConfigPayload(c: {
  readonly hashTypes: number;
  readonly table: readonly number[];
  readonly unclassified?: number;
  readonly maxTxVq?: number;
  readonly key?: Uint8Array;
  readonly mask?: number;
}): Uint8Array {
  const key = c.key ?? new Uint8Array(40).fill(0x5a);
  return cat(
    le32(c.hashTypes),
    le16(c.mask ?? c.table.length - 1),
    le16(c.unclassified ?? 0),
    ...c.table.map(le16),
    le16(c.maxTxVq ?? 1),
    Uint8Array.of(key.length),
    key,
  );
}

/** `struct virtio_net_hash_config`: 13 + k bytes. */
export function hashConfigPayload(hashTypes: number, key: Uint8Array = new Uint8Array(40).fill(0x6d), reserved = 0): Uint8Array {
  return cat(le32(hashTypes), le16(reserved), le16(0), le16(0), le16(0), Uint8Array.of(key.length), key);
}

/** MAC_TABLE_SET data: counts as given (they may lie), then the addresses present. */
export function macTablePayload(unicast: readonly Uint8Array[], multicast: readonly Uint8Array[], counts?: readonly [number, number]): Uint8Array {
  return cat(le32(counts?.[0] ?? unicast.length), ...unicast, le32(counts?.[1] ?? multicast.length), ...multicast);
}

/** `virtio_net_ctrl_coal`. */
export function coalPayload(maxPackets: number, maxUsecs: number): Uint8Array {
  return cat(le32(maxPackets), le32(maxUsecs));
}

/** `virtio_net_ctrl_coal_vq`. */
export function coalVqPayload(vq: number, maxPackets: number, maxUsecs: number, reserved = 0): Uint8Array {
  return cat(le16(vq), le16(reserved), le32(maxPackets), le32(maxUsecs));
}
