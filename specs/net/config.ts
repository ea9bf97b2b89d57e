/**
 * `struct virtio_net_config`, the network device configuration space
 * (virtio 1.4 section 5.1.4), with its field values and limits.
 *
 * @module
 */

import { type FeatureSet } from '../features/feature-set.js';
import {
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HASH_TUNNEL,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MQ,
  VIRTIO_NET_F_MTU,
  VIRTIO_NET_F_RSS,
  VIRTIO_NET_F_SPEED_DUPLEX,
  VIRTIO_NET_F_STATUS,
} from '../features/net.js';
import { anyOf, type Requirement, satisfies } from '../features/requirement.js';
import { defineStruct, type StructLayout } from '../layout.js';
import { existsIn, type SpecVersion } from '../version.js';

/** Field names of {@link virtio_net_config}. */
export type VirtioNetConfigField =
  | 'mac'
  | 'status'
  | 'max_virtqueue_pairs'
  | 'mtu'
  | 'speed'
  | 'duplex'
  | 'rss_max_key_size'
  | 'rss_max_indirection_table_length'
  | 'supported_hash_types'
  | 'supported_tunnel_types';

/**
 * Layout of `struct virtio_net_config` (1.4, 28 bytes). All multi-byte fields
 * are little-endian, except `status` and `max_virtqueue_pairs` over the legacy
 * interface, which are guest-native (`net.cfg.legacy.1.device`).
 */
export const virtio_net_config: StructLayout<VirtioNetConfigField> = defineStruct({
  mac: 6,
  status: 2,
  max_virtqueue_pairs: 2,
  mtu: 2,
  speed: 4,
  duplex: 1,
  rss_max_key_size: 1,
  rss_max_indirection_table_length: 2,
  supported_hash_types: 4,
  supported_tunnel_types: 4,
});

/** When a config field is valid, and since which revision it exists. */
export interface NetConfigFieldInfo {
  /** Field name. */
  readonly field: VirtioNetConfigField;
  /** The field is valid when the (offered) features satisfy this (any-of). */
  readonly validWith: Requirement;
  /** First revision with the field. */
  readonly since: SpecVersion;
}

/**
 * Validity of each config field (`net.cfg.status.any.1`). `mac` is always
 * present but only meaningful with MAC. A driver may read a field before
 * FEATURES_OK when its feature is offered (`config.device.1`) and must not
 * read it otherwise (`config.driver.3`).
 */
export const VIRTIO_NET_CONFIG_FIELDS: Readonly<Record<VirtioNetConfigField, NetConfigFieldInfo>> = Object.freeze({
  mac: { field: 'mac', validWith: anyOf(VIRTIO_NET_F_MAC), since: '1.2' },
  status: { field: 'status', validWith: anyOf(VIRTIO_NET_F_STATUS), since: '1.2' },
  max_virtqueue_pairs: { field: 'max_virtqueue_pairs', validWith: anyOf(VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS), since: '1.2' },
  mtu: { field: 'mtu', validWith: anyOf(VIRTIO_NET_F_MTU), since: '1.2' },
  speed: { field: 'speed', validWith: anyOf(VIRTIO_NET_F_SPEED_DUPLEX), since: '1.2' },
  duplex: { field: 'duplex', validWith: anyOf(VIRTIO_NET_F_SPEED_DUPLEX), since: '1.2' },
  rss_max_key_size: { field: 'rss_max_key_size', validWith: anyOf(VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT), since: '1.2' },
  rss_max_indirection_table_length: {
    field: 'rss_max_indirection_table_length',
    validWith: anyOf(VIRTIO_NET_F_RSS),
    since: '1.2',
  },
  supported_hash_types: { field: 'supported_hash_types', validWith: anyOf(VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT), since: '1.2' },
  supported_tunnel_types: { field: 'supported_tunnel_types', validWith: anyOf(VIRTIO_NET_F_HASH_TUNNEL), since: '1.3' },
});

/** True when `field` holds a defined value given the offered or negotiated `features`. */
export function isConfigFieldValid(field: VirtioNetConfigField, features: FeatureSet): boolean {
  return satisfies(features, VIRTIO_NET_CONFIG_FIELDS[field].validWith);
}

/** Size of `virtio_net_config` in virtio 1.2 (up to `supported_hash_types`). */
export const VIRTIO_NET_CONFIG_SIZE_1_2 = 24;
/** Size of `virtio_net_config` in virtio 1.3 and 1.4 (adds `supported_tunnel_types`). */
export const VIRTIO_NET_CONFIG_SIZE_1_3 = 28;

/**
 * Size of `virtio_net_config` in `version`. A driver must accept a larger
 * config space than it knows (`config.driver.4`).
 */
export function virtioNetConfigSize(version: SpecVersion): number {
  return existsIn('1.3', version) ? VIRTIO_NET_CONFIG_SIZE_1_3 : VIRTIO_NET_CONFIG_SIZE_1_2;
}

/** `status` bit 0: the link is up (`net.cfg.driver.6`). */
export const VIRTIO_NET_S_LINK_UP = 1;
/** `status` bit 1: the driver should announce itself (GUEST_ANNOUNCE, `net.ctrl.announce.driver.1`). */
export const VIRTIO_NET_S_ANNOUNCE = 2;

/** Smallest `mtu` a device may advertise (`net.cfg.device.2`). */
export const VIRTIO_NET_MTU_MIN = 68;
/** Largest `mtu` (`net.cfg.device.2`). */
export const VIRTIO_NET_MTU_MAX = 65535;
/** `mtu` a device SHOULD advertise at least, the IPv6 minimum (`net.cfg.device.3`). */
export const VIRTIO_NET_MTU_RECOMMENDED_MIN = 1280;

/** Smallest `max_virtqueue_pairs` and VQ_PAIRS_SET value (`net.cfg.device.1`, `net.ctrl.mq.driver.2`). */
export const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN = 1;
/** Largest `max_virtqueue_pairs` and VQ_PAIRS_SET value (`net.cfg.device.1`, `net.ctrl.mq.driver.2`). */
export const VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX = 0x8000;

/** `rss_max_key_size` is at least this with RSS or HASH_REPORT (`net.cfg.device.7`). */
export const VIRTIO_NET_RSS_KEY_SIZE_MIN = 40;
/** `rss_max_indirection_table_length` is at least this with RSS (`net.cfg.device.8`). */
export const VIRTIO_NET_RSS_INDIRECTION_TABLE_LENGTH_MIN = 128;

/** Largest known `speed`, in Mbit/s (`net.cfg.device.10`; the normative text mistypes it 0x7ffffffff). */
export const VIRTIO_NET_SPEED_MAX = 0x7fff_ffff;
/** `speed` value for "unknown" (`net.cfg.device.10`; mistyped 0xfffffffff in the normative text). */
export const VIRTIO_NET_SPEED_UNKNOWN = 0xffff_ffff;

/*
 * Duplex values: summary.md defect 1. The normative device clause
 * `net.cfg.device.11` says 0x00 = full and 0x01 = half; the field description
 * in 5.1.4 and Linux (DUPLEX_FULL = 1, DUPLEX_HALF = 0) say the reverse.
 * Decision: follow the field description and Linux. Checks must not fail a
 * device for either known value, since both readings are in the spec; they
 * only demand a value in {0x00, 0x01, 0xff}.
 */

/**
 * `duplex` for full duplex: 0x01, per the 5.1.4 field description and Linux.
 * The normative clause `net.cfg.device.11` says 0x00; see summary.md defect 1.
 */
export const VIRTIO_NET_DUPLEX_FULL = 0x01;
/**
 * `duplex` for half duplex: 0x00, per the 5.1.4 field description and Linux.
 * The normative clause `net.cfg.device.11` says 0x01; see summary.md defect 1.
 */
export const VIRTIO_NET_DUPLEX_HALF = 0x00;
/** `duplex` for "unknown" (`net.cfg.device.11`). */
export const VIRTIO_NET_DUPLEX_UNKNOWN = 0xff;

/** A decoded `speed` field. */
export type NetSpeed = { readonly kind: 'known'; readonly mbps: number } | { readonly kind: 'unknown' };

/** Decodes `speed` the way a driver must: anything above 0x7fffffff is unknown (`net.cfg.driver.11`). */
export function decodeSpeed(raw: number): NetSpeed {
  const v = raw >>> 0;
  return v > VIRTIO_NET_SPEED_MAX ? { kind: 'unknown' } : { kind: 'known', mbps: v };
}

/**
 * Decodes `duplex` the way a driver must: anything but 0 and 1 is unknown
 * (`net.cfg.driver.11`). 0x01 reads as full, per the decision above.
 */
export function decodeDuplex(raw: number): 'full' | 'half' | 'unknown' {
  const v = raw & 0xff;
  if (v === VIRTIO_NET_DUPLEX_FULL) return 'full';
  if (v === VIRTIO_NET_DUPLEX_HALF) return 'half';
  return 'unknown';
}
