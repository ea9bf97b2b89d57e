/**
 * The reference net device's configuration: a zod schema for the shape, then
 * the spec's device-side rules on what may be offered, each refusal naming
 * its clause. User input never throws: {@link parseNetDeviceConfig} returns
 * a result union.
 *
 * @module
 */

import { z } from 'zod';
import { unmetDependencies } from '../../specs/features/dependencies.js';
import { FEATURES, featureName, type FeatureSet, hasFeature, parseFeatureName } from '../../specs/features/feature-set.js';
import * as N from '../../specs/features/net.js';
import * as R from '../../specs/features/reserved.js';
import {
  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX,
  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN,
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_DUPLEX_HALF,
  VIRTIO_NET_DUPLEX_UNKNOWN,
  VIRTIO_NET_MTU_MAX,
  VIRTIO_NET_MTU_MIN,
  VIRTIO_NET_MTU_RECOMMENDED_MIN,
  VIRTIO_NET_RSS_INDIRECTION_TABLE_LENGTH_MIN,
  VIRTIO_NET_RSS_KEY_SIZE_MIN,
  VIRTIO_NET_SPEED_MAX,
  VIRTIO_NET_SPEED_UNKNOWN,
  virtioNetConfigSize,
} from '../../specs/net/config.js';
import { VIRTIO_NET_HASH_TUNNEL_TYPE_MASK, VIRTIO_NET_RSS_HASH_TYPE_MASK } from '../../specs/net/hash.js';
import { isValidSplitQueueSize } from '../../specs/virtqueue/index.js';
import {
  type FeatureAcceptancePolicy,
  QEMU_FEATURE_ACCEPTANCE,
  STRICT_FEATURE_ACCEPTANCE,
} from '../device/feature-acceptance.js';
import { CORE_UNSUPPORTED_FEATURES } from '../device/feature-window.js';
import { REFERENCE_SUPPORTED_TUNNEL_TYPES } from './ctrl/facts.js';
import type { RingFormat } from '../virtqueue/ring-error.js';

/**
 * What a typical device offers when the config names no features: QEMU 7.2's
 * default set (qemu-qtest.md §2.2) plus the checksum and TSO offloads a tap
 * backend adds. No MQ, RSS or packed ring unless asked for.
 */
export const DEFAULT_NET_FEATURES: readonly number[] = Object.freeze([
  R.VIRTIO_F_VERSION_1,
  R.VIRTIO_F_EVENT_IDX,
  R.VIRTIO_F_INDIRECT_DESC,
  R.VIRTIO_F_RING_RESET,
  N.VIRTIO_NET_F_CSUM,
  N.VIRTIO_NET_F_GUEST_CSUM,
  N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
  N.VIRTIO_NET_F_MAC,
  N.VIRTIO_NET_F_GUEST_TSO4,
  N.VIRTIO_NET_F_GUEST_TSO6,
  N.VIRTIO_NET_F_GUEST_ECN,
  N.VIRTIO_NET_F_HOST_TSO4,
  N.VIRTIO_NET_F_HOST_TSO6,
  N.VIRTIO_NET_F_HOST_ECN,
  N.VIRTIO_NET_F_MRG_RXBUF,
  N.VIRTIO_NET_F_STATUS,
  N.VIRTIO_NET_F_CTRL_VQ,
  N.VIRTIO_NET_F_CTRL_RX,
  N.VIRTIO_NET_F_CTRL_VLAN,
  N.VIRTIO_NET_F_CTRL_RX_EXTRA,
  N.VIRTIO_NET_F_GUEST_ANNOUNCE,
  N.VIRTIO_NET_F_CTRL_MAC_ADDR,
]);

/**
 * Net features the reference device cannot honour, so it never offers them
 * (`features.device.4`): inline IPsec needs admin-queue SA objects, and
 * RSC_EXT needs coalescing the device does not do.
 */
export const NET_DEVICE_UNIMPLEMENTED: readonly number[] = Object.freeze([N.VIRTIO_NET_F_IPSEC, N.VIRTIO_NET_F_RSC_EXT]);

const featureItem = z.union([z.string(), z.number().int().min(0).max(127)]);
const featureList = z.union([z.bigint().nonnegative(), z.array(featureItem)]);
const queueSize = (d: number) => z.number().int().min(0).max(0x8000).default(d);

/** The shape of a net device configuration (input side: every field optional). */
export const netDeviceConfigSchema = z.strictObject({
  /** Offered features, by spec name (with or without prefix), bit number, or as a bigint. Replaces {@link DEFAULT_NET_FEATURES}. */
  features: featureList.optional(),
  /** Features added to `features` (or to the defaults). */
  addFeatures: z.array(featureItem).default([]),
  /** Features removed from `features` (or from the defaults). */
  removeFeatures: z.array(featureItem).default([]),
  /** MAC address, `"52:54:00:12:34:56"` or six bytes. */
  mac: z
    .union([z.string().regex(/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/), z.array(z.number().int().min(0).max(255)).length(6)])
    .default('52:54:00:12:34:56'),
  /** `mtu`; checked against `net.cfg.device.2` when MTU is offered. */
  mtu: z.number().int().min(0).max(0xffff).default(1500),
  /** `max_virtqueue_pairs`; used with MQ or RSS. */
  maxVirtqueuePairs: z.number().int().min(0).max(0xffff).default(1),
  /** Queue max sizes (QueueSizeMax / queue_size after reset). */
  queueSizes: z.strictObject({ rx: queueSize(256), tx: queueSize(256), ctrl: queueSize(64) }).prefault({}),
  /** Ring formats the device accepts; `packed` offers VIRTIO_F_RING_PACKED. @default split, plus packed when RING_PACKED is in the features */
  ringFormats: z.array(z.enum(['split', 'packed'])).min(1).optional(),
  /** RSS / hash limits shown in config space with RSS or HASH_REPORT. */
  rss: z
    .strictObject({
      maxKeySize: z.number().int().min(0).max(255).default(40),
      maxIndirectionTableLength: z.number().int().min(0).max(0xffff).default(128),
      supportedHashTypes: z.number().int().min(0).max(0xffff_ffff).default(VIRTIO_NET_RSS_HASH_TYPE_MASK),
      supportedTunnelTypes: z.number().int().min(0).max(0xffff_ffff).default(0),
    })
    .prefault({}),
  /** Link speed in Mbit/s, or `'unknown'`. */
  speed: z.union([z.number().int().min(0).max(0xffff_ffff), z.literal('unknown')]).default('unknown'),
  /** Duplex; encoded per the field description and Linux (full = 1, summary.md defect 1). */
  duplex: z.enum(['full', 'half', 'unknown']).default('unknown'),
  /** Initial link state (VIRTIO_NET_S_LINK_UP). */
  linkUp: z.boolean().default(true),
  /** Set VIRTIO_NET_S_ANNOUNCE at DRIVER_OK when GUEST_ANNOUNCE was negotiated, as after a migration. */
  announceOnDriverOk: z.boolean().default(false),
  /** How FEATURES_OK is answered, handed to the core. */
  featureAcceptance: z
    .union([z.enum(['strict', 'qemu']), z.custom<FeatureAcceptancePolicy>((v) => typeof v === 'object' && v !== null)])
    .default('strict'),
  /** Transmit headers with `num_buffers` ≠ 0 (`net.tx.driver.2`): accept (as Linux needs) or drop. */
  txNonzeroNumBuffers: z.enum(['accept', 'drop']).default('accept'),
  /** Spec revision whose config size the device shows (24 bytes in 1.2, 28 from 1.3). */
  specVersion: z.enum(['1.2', '1.3', '1.4']).default('1.4'),
});

/** Input accepted by {@link parseNetDeviceConfig}. */
export type NetDeviceConfigInput = z.input<typeof netDeviceConfigSchema>;

/** A validated, resolved configuration. */
export interface NetDeviceConfig {
  /** Offered features (RING_PACKED per `ringFormats`). */
  readonly features: FeatureSet;
  /** MAC address bytes. */
  readonly mac: readonly number[];
  readonly mtu: number;
  readonly maxVirtqueuePairs: number;
  readonly queueSizes: { readonly rx: number; readonly tx: number; readonly ctrl: number };
  readonly ringFormats: readonly RingFormat[];
  readonly rss: {
    readonly maxKeySize: number;
    readonly maxIndirectionTableLength: number;
    readonly supportedHashTypes: number;
    readonly supportedTunnelTypes: number;
  };
  /** `speed` as written to config space (0xffffffff = unknown). */
  readonly speed: number;
  /** `duplex` as written to config space. */
  readonly duplex: number;
  readonly linkUp: boolean;
  readonly announceOnDriverOk: boolean;
  readonly featureAcceptance: FeatureAcceptancePolicy;
  readonly txNonzeroNumBuffers: 'accept' | 'drop';
  /** Size of the device-specific config space in bytes. */
  readonly configSize: number;
}

/** One refusal or warning about a configuration. */
export interface NetConfigIssue {
  /** Where: the config field (`features`, `mtu`, `queueSizes.rx`, …). */
  readonly path: string;
  /** The clause the config would break, or null for a shape error or a limit of this device. */
  readonly clause: string | null;
  readonly message: string;
}

/** Outcome of {@link parseNetDeviceConfig}. */
export type NetDeviceConfigResult =
  | { readonly kind: 'ok'; readonly config: NetDeviceConfig; readonly warnings: readonly NetConfigIssue[] }
  | { readonly kind: 'refused'; readonly issues: readonly NetConfigIssue[]; readonly warnings: readonly NetConfigIssue[] };

type Parsed = z.output<typeof netDeviceConfigSchema>;

function resolveFeatures(p: Parsed, issues: NetConfigIssue[]): FeatureSet {
  const bitOf = (item: string | number, path: string): number | null => {
    if (typeof item === 'number') return item;
    const parsed = parseFeatureName(item);
    if (parsed.kind === 'feature') return parsed.bit;
    issues.push({ path, clause: 'features.device.4', message: parsed.message });
    return null;
  };
  let set = 0n;
  if (typeof p.features === 'bigint') set = p.features;
  else for (const item of p.features ?? DEFAULT_NET_FEATURES) set |= bitMask(bitOf(item, 'features'));
  for (const item of p.addFeatures) set |= bitMask(bitOf(item, 'addFeatures'));
  for (const item of p.removeFeatures) set &= ~bitMask(bitOf(item, 'removeFeatures'));
  return set;
}

function bitMask(bit: number | null): FeatureSet {
  return bit === null ? 0n : 1n << BigInt(bit);
}

const KNOWN = new Map(FEATURES.map((f) => [f.bit, f] as const));

function checkOffer(set: FeatureSet, issues: NetConfigIssue[], warnings: NetConfigIssue[]): void {
  for (let bit = 0; bit < 128; bit++) {
    if (!hasFeature(set, bit)) continue;
    const info = KNOWN.get(bit);
    const name = featureName(bit);
    if (info === undefined) {
      issues.push({ path: 'features', clause: 'features.device.4', message: `${name} is not defined by any revision` });
    } else if (info.legacyOnly && bit !== R.VIRTIO_F_ADMIN_VQ) {
      issues.push({ path: 'features', clause: 'features.device.4', message: `${name} exists only on the legacy interface` });
    } else if (hasFeature(CORE_UNSUPPORTED_FEATURES, bit) || NET_DEVICE_UNIMPLEMENTED.includes(bit)) {
      issues.push({ path: 'features', clause: 'features.device.4', message: `${name} is not implemented by the reference device` });
    }
  }
  if (!hasFeature(set, R.VIRTIO_F_VERSION_1)) {
    issues.push({ path: 'features', clause: 'rfb.device.1', message: 'a non-legacy device always offers VIRTIO_F_VERSION_1' });
  }
  for (const v of unmetDependencies(set, 'device')) {
    const issue = { path: 'features', clause: v.clause, message: `${v.featureName} offered without ${v.missingText} (${v.level})` };
    (v.strength === 'must' ? issues : warnings).push(issue);
  }
}

function checkFields(p: Parsed, set: FeatureSet, formats: readonly RingFormat[], issues: NetConfigIssue[], warnings: NetConfigIssue[]): void {
  const has = (bit: number) => hasFeature(set, bit);
  if (has(N.VIRTIO_NET_F_MTU)) {
    if (p.mtu < VIRTIO_NET_MTU_MIN || p.mtu > VIRTIO_NET_MTU_MAX) {
      issues.push({ path: 'mtu', clause: 'net.cfg.device.2', message: `mtu ${p.mtu} is outside ${VIRTIO_NET_MTU_MIN}..${VIRTIO_NET_MTU_MAX}` });
    } else if (p.mtu < VIRTIO_NET_MTU_RECOMMENDED_MIN) {
      warnings.push({ path: 'mtu', clause: 'net.cfg.device.3', message: `mtu ${p.mtu} is below ${VIRTIO_NET_MTU_RECOMMENDED_MIN}` });
    }
  }
  const multi = has(N.VIRTIO_NET_F_MQ) || has(N.VIRTIO_NET_F_RSS);
  const pairs = p.maxVirtqueuePairs;
  if (multi && (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)) {
    issues.push({ path: 'maxVirtqueuePairs', clause: 'net.cfg.device.1', message: `max_virtqueue_pairs ${pairs} is outside 1..0x8000` });
  } else if (multi && 2 * pairs + (has(N.VIRTIO_NET_F_CTRL_VQ) ? 1 : 0) > 0xffff) {
    issues.push({ path: 'maxVirtqueuePairs', clause: null, message: `${pairs} pairs need more virtqueues than a 16-bit queue index can name` });
  } else if (!multi && pairs !== 1) {
    warnings.push({ path: 'maxVirtqueuePairs', clause: 'net.vq.any.1.device', message: `without MQ or RSS the device has one pair; ${pairs} is ignored` });
  }
  if (has(N.VIRTIO_NET_F_RSS) || has(N.VIRTIO_NET_F_HASH_REPORT)) {
    if (p.rss.maxKeySize < VIRTIO_NET_RSS_KEY_SIZE_MIN) {
      issues.push({ path: 'rss.maxKeySize', clause: 'net.cfg.device.7', message: `rss_max_key_size ${p.rss.maxKeySize} is below 40` });
    }
    if ((p.rss.supportedHashTypes & ~VIRTIO_NET_RSS_HASH_TYPE_MASK) !== 0) {
      issues.push({ path: 'rss.supportedHashTypes', clause: null, message: 'supported_hash_types has bits no revision defines' });
    }
  }
  if (has(N.VIRTIO_NET_F_RSS) && p.rss.maxIndirectionTableLength < VIRTIO_NET_RSS_INDIRECTION_TABLE_LENGTH_MIN) {
    issues.push({
      path: 'rss.maxIndirectionTableLength',
      clause: 'net.cfg.device.8',
      message: `rss_max_indirection_table_length ${p.rss.maxIndirectionTableLength} is below 128`,
    });
  }
  if (has(N.VIRTIO_NET_F_HASH_TUNNEL) && (p.rss.supportedTunnelTypes & ~VIRTIO_NET_HASH_TUNNEL_TYPE_MASK) !== 0) {
    issues.push({ path: 'rss.supportedTunnelTypes', clause: null, message: 'supported_tunnel_types has bits no revision defines' });
  } else if (has(N.VIRTIO_NET_F_HASH_TUNNEL) && p.rss.supportedTunnelTypes !== REFERENCE_SUPPORTED_TUNNEL_TYPES) {
    issues.push({ path: 'rss.supportedTunnelTypes', clause: null, message: 'the reference device hashes no tunnel type (inner-header hashing is not implemented)' });
  }
  if (typeof p.speed === 'number' && p.speed > VIRTIO_NET_SPEED_MAX && p.speed !== VIRTIO_NET_SPEED_UNKNOWN) {
    issues.push({ path: 'speed', clause: 'net.cfg.device.10', message: `speed ${p.speed} is neither 0..0x7fffffff nor 0xffffffff` });
  }
  const sizes: [string, number, boolean][] = [
    ['queueSizes.rx', p.queueSizes.rx, true],
    ['queueSizes.tx', p.queueSizes.tx, true],
    ['queueSizes.ctrl', p.queueSizes.ctrl, has(N.VIRTIO_NET_F_CTRL_VQ)],
  ];
  for (const [path, size, used] of sizes) {
    if (!used) continue;
    if (size === 0) issues.push({ path, clause: null, message: 'a queue the device needs cannot have max size 0' });
    else if (formats.includes('split') && !isValidSplitQueueSize(size)) {
      issues.push({ path, clause: 'pci.common.device.15', message: `queue size ${size} is not a power of 2, which a split ring needs` });
    }
  }
  const mac = macBytes(p.mac);
  if (((mac[0] as number) & 1) !== 0) warnings.push({ path: 'mac', clause: null, message: 'the MAC address is a multicast address' });
}

function macBytes(mac: string | readonly number[]): number[] {
  return typeof mac === 'string' ? mac.split(/[:-]/).map((h) => Number.parseInt(h, 16)) : [...mac];
}

function resolveFormats(p: Parsed, set: FeatureSet, issues: NetConfigIssue[]): readonly RingFormat[] {
  if (p.ringFormats === undefined) return hasFeature(set, R.VIRTIO_F_RING_PACKED) ? ['split', 'packed'] : ['split'];
  const formats = [...new Set(p.ringFormats)];
  if (!formats.includes('packed') && hasFeature(set, R.VIRTIO_F_RING_PACKED)) {
    issues.push({ path: 'ringFormats', clause: null, message: 'VIRTIO_F_RING_PACKED is offered but ringFormats leaves out packed' });
  }
  return formats;
}

/**
 * Validates `input` and resolves it into a {@link NetDeviceConfig}. Refuses
 * an offer that breaks a device-side rule: a dependency row
 * (`features.device.1`, `net.featdep.*.device`), an undefined, legacy-only
 * or unimplemented bit (`features.device.4`), no VERSION_1 (`rfb.device.1`),
 * or a config value out of range (`net.cfg.device.1`, `.2`, `.7`, `.8`,
 * `.10`, `pci.common.device.15`). SHOULD-level findings (`net.cfg.device.3`,
 * `.13`, `.14`, `net.feat.device.1`) come back as warnings.
 */
export function parseNetDeviceConfig(input: unknown = {}): NetDeviceConfigResult {
  const shape = netDeviceConfigSchema.safeParse(input);
  if (!shape.success) {
    const issues = shape.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', clause: null, message: i.message }));
    return { kind: 'refused', issues, warnings: [] };
  }
  const p = shape.data;
  const issues: NetConfigIssue[] = [];
  const warnings: NetConfigIssue[] = [];
  let set = resolveFeatures(p, issues);
  const ringFormats = resolveFormats(p, set, issues);
  if (ringFormats.includes('packed')) set |= 1n << BigInt(R.VIRTIO_F_RING_PACKED);
  checkOffer(set, issues, warnings);
  checkFields(p, set, ringFormats, issues, warnings);
  if (issues.length > 0) return { kind: 'refused', issues, warnings };
  const featureAcceptance =
    p.featureAcceptance === 'strict' ? STRICT_FEATURE_ACCEPTANCE : p.featureAcceptance === 'qemu' ? QEMU_FEATURE_ACCEPTANCE : p.featureAcceptance;
  const config: NetDeviceConfig = {
    features: set,
    mac: Object.freeze(macBytes(p.mac)),
    mtu: p.mtu,
    maxVirtqueuePairs: hasFeature(set, N.VIRTIO_NET_F_MQ) || hasFeature(set, N.VIRTIO_NET_F_RSS) ? p.maxVirtqueuePairs : 1,
    queueSizes: Object.freeze({ ...p.queueSizes }),
    ringFormats: Object.freeze(ringFormats),
    rss: Object.freeze({ ...p.rss }),
    speed: p.speed === 'unknown' ? VIRTIO_NET_SPEED_UNKNOWN : p.speed,
    duplex: p.duplex === 'full' ? VIRTIO_NET_DUPLEX_FULL : p.duplex === 'half' ? VIRTIO_NET_DUPLEX_HALF : VIRTIO_NET_DUPLEX_UNKNOWN,
    linkUp: p.linkUp,
    announceOnDriverOk: p.announceOnDriverOk,
    featureAcceptance,
    txNonzeroNumBuffers: p.txNonzeroNumBuffers,
    configSize: virtioNetConfigSize(p.specVersion),
  };
  return { kind: 'ok', config: Object.freeze(config), warnings };
}
