/**
 * Payload layouts of control queue commands (virtio 1.4 section 5.1.9.5).
 * All fields are little-endian (guest-native over the legacy interface).
 *
 * @module
 */

import { defineStruct, type StructLayout } from '../layout.js';

/** Fields of `struct virtio_net_rss_config`. */
export type RssConfigField =
  | 'hash_types'
  | 'indirection_table_mask'
  | 'unclassified_queue'
  | 'indirection_table'
  | 'max_tx_vq'
  | 'hash_key_length'
  | 'hash_key_data';

/**
 * Layout of `struct virtio_net_rss_config` (MQ_RSS_CONFIG) for an
 * indirection table of `tableLength` entries (n = indirection_table_mask + 1)
 * and a key of `keyLength` bytes: 11 + 2n + k bytes.
 *
 * The driver must keep n a power of two below `rss_max_indirection_table_length`
 * (`net.ctrl.rss.driver.3`, `net.ctrl.rss.driver.4`) and `hash_types` within
 * `supported_hash_types` (`net.ctrl.rss.driver.5`).
 */
export function rssConfigLayout(tableLength: number, keyLength: number): StructLayout<RssConfigField> {
  return defineStruct({
    hash_types: 4,
    indirection_table_mask: 2,
    unclassified_queue: 2,
    indirection_table: 2 * tableLength,
    max_tx_vq: 2,
    hash_key_length: 1,
    hash_key_data: keyLength,
  });
}

/** The fixed head of `virtio_net_rss_config` before the indirection table (8 bytes). */
export const virtio_net_rss_config_head: StructLayout<'hash_types' | 'indirection_table_mask' | 'unclassified_queue'> =
  defineStruct({ hash_types: 4, indirection_table_mask: 2, unclassified_queue: 2 });

/** Fields of `struct virtio_net_hash_config`. */
export type HashConfigField = 'hash_types' | 'reserved' | 'hash_key_length' | 'hash_key_data';

/**
 * Layout of `struct virtio_net_hash_config` (MQ_HASH_CONFIG) for a key of
 * `keyLength` bytes: 13 + k bytes, the RSS layout with n = 1. `reserved`
 * (le16[4]) must be zero (`net.ctrl.hashcfg.driver.1`).
 */
export function hashConfigLayout(keyLength: number): StructLayout<HashConfigField> {
  return defineStruct({ hash_types: 4, reserved: 8, hash_key_length: 1, hash_key_data: keyLength });
}

/**
 * `struct virtio_net_ctrl_coal` (TX_SET / RX_SET data, VQ_GET result, 8 bytes).
 * 0 in either field means notify after every packet (`net.ctrl.coal.any.3`).
 */
export const virtio_net_ctrl_coal: StructLayout<'max_packets' | 'max_usecs'> = defineStruct({ max_packets: 4, max_usecs: 4 });

/** `struct virtio_net_ctrl_coal_vq` (VQ_SET data, 12 bytes); `reserved` is ignored (`net.ctrl.coal.device.1`). */
export const virtio_net_ctrl_coal_vq: StructLayout<'vq_index' | 'reserved' | 'max_packets' | 'max_usecs'> = defineStruct({
  vq_index: 2,
  reserved: 2,
  max_packets: 4,
  max_usecs: 4,
});

/** VQ_GET data: `le16 vq_index; le16 reserved` (4 bytes). */
export const virtio_net_ctrl_coal_vq_get: StructLayout<'vq_index' | 'reserved'> = defineStruct({ vq_index: 2, reserved: 2 });

/** Size of one MAC address. */
export const ETH_ALEN = 6;

/**
 * Size of MAC_TABLE_SET data with `unicast` and `multicast` entries: two le32
 * counts, each followed by its 6-byte entries (`net.ctrl.mac.driver.3`).
 */
export function macTableSetSize(unicast: number, multicast: number): number {
  return 4 + ETH_ALEN * unicast + 4 + ETH_ALEN * multicast;
}

/**
 * Head of RSS_CTX ADD / MOD data (8 bytes): `le16 rss_ctx_id; u8 reserved[6]`,
 * followed by a `virtio_net_rss_config`. `rss_ctx_id` is 1..max_rss_contexts
 * (`net.ctrl.rssctx.driver.2`).
 */
export const virtio_net_rss_ctx_head: StructLayout<'rss_ctx_id' | 'reserved'> = defineStruct({ rss_ctx_id: 2, reserved: 6 });

/** RSS_CTX DEL data: `le16 rss_ctx_id`. */
export const virtio_net_rss_ctx_del: StructLayout<'rss_ctx_id'> = defineStruct({ rss_ctx_id: 2 });

/** RSS_CTX CAP_GET result: `le16 max_rss_contexts`, at least 1 (`net.ctrl.rssctx.device.1`). */
export const virtio_net_rss_ctx_cap: StructLayout<'max_rss_contexts'> = defineStruct({ max_rss_contexts: 2 });

/** HASH_TUNNEL_SET data: `le32 enabled_tunnel_types`. */
export const virtio_net_hash_tunnel_config: StructLayout<'enabled_tunnel_types'> = defineStruct({ enabled_tunnel_types: 4 });

/** VQ_PAIRS_SET data: `le16 virtqueue_pairs`. */
export const virtio_net_ctrl_mq: StructLayout<'virtqueue_pairs'> = defineStruct({ virtqueue_pairs: 2 });
