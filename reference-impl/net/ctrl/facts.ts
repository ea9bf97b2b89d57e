/**
 * What the net device's control state is built from: the device's own facts
 * (its config space values) and the policy a scenario picks where the spec
 * leaves the device free (see state.ts for each choice and its default).
 *
 * @module
 */

/** Tunnel types the reference device supports for inner-header hashing: none. */
export const REFERENCE_SUPPORTED_TUNNEL_TYPES = 0;

/** Device facts the control state is built from (the device's config space values). */
export interface NetDeviceFacts {
  /** `max_virtqueue_pairs`; the pair count N when MQ or RSS is negotiated, else N = 1. */
  readonly maxVirtqueuePairs: number;
  /** `mac` at reset: the default MAC the filter accepts until MAC_ADDR_SET. */
  readonly mac: Uint8Array;
  /** `rss_max_key_size` (≥ 40 with RSS or HASH_REPORT, `net.cfg.device.7`). */
  readonly rssMaxKeySize: number;
  /** `rss_max_indirection_table_length` (≥ 128 with RSS, `net.cfg.device.8`). */
  readonly rssMaxIndirectionTableLength: number;
  /** `supported_hash_types`. */
  readonly supportedHashTypes: number;
  /** Byte order of a legacy (no VERSION_1) guest's native fields. @default 'little' */
  readonly legacyGuestEndian?: 'little' | 'big';
}

/** Choices a scenario can make where the spec leaves the device free. */
export interface NetControlPolicy {
  /** PROMISC after reset. @default true (QEMU) */
  readonly initialPromisc?: boolean;
  /** MAC table entries per class before that class overflows to accept-all. @default Infinity */
  readonly macTableCapacity?: number;
  /** Reject oversized payloads, on/off bytes other than 0/1, set reserved bits. @default true */
  readonly strict?: boolean;
  /** Answer to a malformed (mis-sized) payload. @default 'ack-err' */
  readonly onMalformed?: 'ack-err' | 'needs-reset';
  /** Whether virtqueue `index` is enabled (VQ_SET/VQ_GET, RSS table). @default every data queue */
  readonly queueEnabled?: (virtqueueIndex: number) => boolean;
}
