/**
 * From a harness {@link DeviceRequest} to QEMU 7.2 virtio-net `-device` properties
 * (qemu-qtest.md §2.2). Each switchable feature has one boolean property; MTU comes with
 * `host_mtu`, SPEED_DUPLEX with `speed`/`duplex`. What QEMU cannot do is refused here, as
 * `unsupported` with the reason, so a check never runs against a device other than the one it
 * asked for:
 *
 * - withholding VIRTIO_F_VERSION_1 (a modern-only device always offers it) or VIRTIO_NET_F_MAC
 *   (QEMU always offers it);
 * - more than one queue pair (the loopback stream backend has one queue; multiqueue needs tap);
 * - a queue size QEMU cannot report (rx must be a power of two in 256..1024, tx stays 256), unless
 *   the adapter is told to tolerate it (then QEMU reports its own size and the driver picks its
 *   ring size below it, which is what the harness's sessions do anyway).
 *
 * Features QEMU can be asked for but hides without a vnet-header backend (the offloads,
 * HASH_REPORT) are asked for and then not offered: a request may be offered less, and checks read
 * the real offer.
 *
 * @module
 */

import { FEATURE_BIT_BY_NAME, featureName } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import type { DeviceRequest } from '../contract.js';

/** The machines the adapter drives. */
export type QemuMachine = 'q35' | 'microvm';

/** A `-device` property value. */
export type QemuPropertyValue = string | number | boolean;

/** One feature switched by one boolean property. */
export interface QemuFeatureProperty {
  readonly bit: number;
  readonly property: string;
  /** QEMU 7.2's default. */
  readonly defaultOn: boolean;
  /** Offered only with a vnet-header backend (tap), never over stream/dgram. */
  readonly needsVnetHdr: boolean;
}

function prop(bit: number, property: string, defaultOn: boolean, needsVnetHdr = false): QemuFeatureProperty {
  return { bit, property, defaultOn, needsVnetHdr };
}

/** QEMU 7.2 virtio-net's feature properties on the modern interface. */
export const QEMU_FEATURE_PROPERTIES: readonly QemuFeatureProperty[] = Object.freeze([
  prop(N.VIRTIO_NET_F_CSUM, 'csum', true, true),
  prop(N.VIRTIO_NET_F_GUEST_CSUM, 'guest_csum', true, true),
  prop(N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, 'ctrl_guest_offloads', true),
  prop(N.VIRTIO_NET_F_GUEST_TSO4, 'guest_tso4', true, true),
  prop(N.VIRTIO_NET_F_GUEST_TSO6, 'guest_tso6', true, true),
  prop(N.VIRTIO_NET_F_GUEST_ECN, 'guest_ecn', true, true),
  prop(N.VIRTIO_NET_F_GUEST_UFO, 'guest_ufo', true, true),
  prop(N.VIRTIO_NET_F_HOST_TSO4, 'host_tso4', true, true),
  prop(N.VIRTIO_NET_F_HOST_TSO6, 'host_tso6', true, true),
  prop(N.VIRTIO_NET_F_HOST_ECN, 'host_ecn', true, true),
  prop(N.VIRTIO_NET_F_HOST_UFO, 'host_ufo', true, true),
  prop(N.VIRTIO_NET_F_MRG_RXBUF, 'mrg_rxbuf', true),
  prop(N.VIRTIO_NET_F_STATUS, 'status', true),
  prop(N.VIRTIO_NET_F_CTRL_VQ, 'ctrl_vq', true),
  prop(N.VIRTIO_NET_F_CTRL_RX, 'ctrl_rx', true),
  prop(N.VIRTIO_NET_F_CTRL_VLAN, 'ctrl_vlan', true),
  prop(N.VIRTIO_NET_F_CTRL_RX_EXTRA, 'ctrl_rx_extra', true),
  prop(N.VIRTIO_NET_F_GUEST_ANNOUNCE, 'guest_announce', true),
  prop(N.VIRTIO_NET_F_MQ, 'mq', false),
  prop(N.VIRTIO_NET_F_CTRL_MAC_ADDR, 'ctrl_mac_addr', true),
  prop(N.VIRTIO_NET_F_HASH_REPORT, 'hash', false, true),
  prop(N.VIRTIO_NET_F_RSS, 'rss', false),
  prop(N.VIRTIO_NET_F_RSC_EXT, 'guest_rsc_ext', false),
  prop(N.VIRTIO_NET_F_STANDBY, 'failover', false),
  prop(VIRTIO_F_INDIRECT_DESC, 'indirect_desc', true),
  prop(VIRTIO_F_EVENT_IDX, 'event_idx', true),
  prop(VIRTIO_F_ACCESS_PLATFORM, 'iommu_platform', false),
  prop(VIRTIO_F_RING_PACKED, 'packed', false),
  prop(VIRTIO_F_RING_RESET, 'queue_reset', true),
]);

const BY_BIT = new Map(QEMU_FEATURE_PROPERTIES.map((p) => [p.bit, p]));

/** Bits QEMU offers on the modern interface whatever the properties say. */
const ALWAYS_OFFERED: readonly number[] = [VIRTIO_F_VERSION_1, N.VIRTIO_NET_F_MAC];

/** The `-device` value the adapter would start QEMU with, and what to do after start-up. */
export interface QemuDevicePlan {
  /** Properties in command-line order (the user's extra properties last, so they win). */
  readonly properties: readonly (readonly [string, QemuPropertyValue])[];
  /** QMP `set_link nic0 off` after start-up. */
  readonly linkDown: boolean;
  /** Parts of the request QEMU does not honour exactly (reported, not refused). */
  readonly notes: readonly string[];
}

/** The outcome of {@link planDevice}. */
export type QemuPlanResult = { readonly kind: 'plan'; readonly plan: QemuDevicePlan } | { readonly kind: 'unsupported'; readonly reason: string };

/** Options of {@link planDevice}. */
export interface PlanOptions {
  /** Extra `-device` properties (override the request's). */
  readonly properties?: Readonly<Record<string, QemuPropertyValue>>;
  /** Refuse a queue size QEMU cannot report instead of noting it. @default false */
  readonly strictQueueSize?: boolean;
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function bitsOf(names: readonly string[] | undefined): { bits: Set<number>; unknown: string[] } {
  const bits = new Set<number>();
  const unknown: string[] = [];
  for (const name of names ?? []) {
    const bit = FEATURE_BIT_BY_NAME[name];
    if (bit === undefined) unknown.push(name);
    else bits.add(bit);
  }
  return { bits, unknown };
}

/**
 * Plans the QEMU device for `request`. The result names exact properties for every switchable
 * feature the request mentions; features it does not mention keep QEMU's defaults.
 */
export function planDevice(request: Omit<DeviceRequest, 'transport'>, options: PlanOptions = {}): QemuPlanResult {
  const exact = bitsOf(request.features);
  const add = bitsOf(request.addFeatures);
  const without = bitsOf(request.withoutFeatures);
  const unknown = [...exact.unknown, ...add.unknown, ...without.unknown];
  if (unknown.length > 0) return { kind: 'unsupported', reason: `unknown feature name(s): ${unknown.join(', ')}` };

  const on = new Map<string, boolean>();
  let mtuOffered = false;
  let speedDuplex = false;
  const want = (bit: number, value: boolean): string | null => {
    const p = BY_BIT.get(bit);
    if (p !== undefined) {
      on.set(p.property, value);
      return null;
    }
    if (bit === N.VIRTIO_NET_F_MTU) mtuOffered = value;
    else if (bit === N.VIRTIO_NET_F_SPEED_DUPLEX) speedDuplex = value;
    else if (!value && ALWAYS_OFFERED.includes(bit)) return `QEMU always offers ${featureName(bit)}`;
    return null;
  };
  if (request.features !== undefined) {
    for (const p of QEMU_FEATURE_PROPERTIES) on.set(p.property, exact.bits.has(p.bit));
    mtuOffered = exact.bits.has(N.VIRTIO_NET_F_MTU);
    speedDuplex = exact.bits.has(N.VIRTIO_NET_F_SPEED_DUPLEX);
    for (const bit of ALWAYS_OFFERED) {
      if (!exact.bits.has(bit)) return { kind: 'unsupported', reason: `QEMU always offers ${featureName(bit)}` };
    }
  }
  for (const bit of add.bits) want(bit, true);
  for (const bit of without.bits) {
    const refused = want(bit, false);
    if (refused !== null) return { kind: 'unsupported', reason: refused };
  }

  const notes: string[] = [];
  const properties: [string, QemuPropertyValue][] = [];
  for (const p of QEMU_FEATURE_PROPERTIES) {
    const value = on.get(p.property);
    if (value === undefined) continue;
    properties.push([p.property, value]);
    if (value && p.needsVnetHdr) notes.push(`${featureName(p.bit)} is not offered: the stream backend has no vnet header`);
  }

  if (request.mac !== undefined) {
    if (!MAC_PATTERN.test(request.mac)) return { kind: 'unsupported', reason: `MAC '${request.mac}' is not aa:bb:cc:dd:ee:ff` };
    properties.push(['mac', request.mac.toLowerCase()]);
  }
  if (request.mtu !== undefined) {
    if (!Number.isInteger(request.mtu) || request.mtu < 1 || request.mtu > 0xffff) return { kind: 'unsupported', reason: `MTU ${request.mtu} does not fit host_mtu (uint16)` };
    if (request.features !== undefined && !mtuOffered) return { kind: 'unsupported', reason: 'QEMU offers VIRTIO_NET_F_MTU whenever an MTU is set' };
    properties.push(['host_mtu', request.mtu]);
  } else if (mtuOffered) {
    properties.push(['host_mtu', 1500]);
  }
  if (speedDuplex) properties.push(['speed', 10000], ['duplex', 'full']);

  const pairs = request.maxVirtqueuePairs;
  if (pairs !== undefined) {
    if (!Number.isInteger(pairs) || pairs < 1) return { kind: 'unsupported', reason: `max_virtqueue_pairs ${pairs} is not a positive integer` };
    if (pairs > 1) {
      return { kind: 'unsupported', reason: `max_virtqueue_pairs ${pairs}: QEMU's stream backend has one queue pair (multiqueue needs a tap backend)` };
    }
  }

  if (request.queueSize !== undefined) {
    const q = request.queueSize;
    const fits = Number.isInteger(q) && q >= 256 && q <= 1024 && (q & (q - 1)) === 0;
    if (fits) {
      properties.push(['rx_queue_size', q], ['tx_queue_size', q]);
      if (q !== 256) notes.push(`transmitq size stays 256 (QEMU honours tx_queue_size only with vhost-user/vdpa)`);
    } else if (options.strictQueueSize === true) {
      return { kind: 'unsupported', reason: `queue size ${q}: QEMU reports a power of two in 256..1024 only` };
    } else {
      notes.push(`queue size ${q} not reportable by QEMU; it reports 256 (the driver may choose ${q})`);
    }
  }

  for (const [name, value] of Object.entries(options.properties ?? {})) {
    const at = properties.findIndex(([n]) => n === name);
    if (at >= 0) properties.splice(at, 1);
    properties.push([name, value]);
  }
  return { kind: 'plan', plan: { properties, linkDown: request.linkUp === false, notes } };
}

/** Formats one property for the command line (`on`/`off` for booleans; commas doubled as QEMU's option parser wants). */
export function formatProperty(name: string, value: QemuPropertyValue): string {
  const text = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
  return `${name}=${text.replace(/,/g, ',,')}`;
}

/**
 * The `-device` argument for `machine`: virtio-net-pci (modern only, slot 1, no option ROM) or
 * virtio-net-device. `ioeventfd=off` (invisible to the driver) makes a notification run the
 * queue handler inside the register write instead of one main-loop turn later, so a qtest round
 * trip after a kick reliably finds the frame sent (measured: 100 of 100 against 96 of 100).
 */
export function deviceArgument(machine: QemuMachine, plan: QemuDevicePlan, netdev: string): string {
  const head =
    machine === 'q35'
      ? ['virtio-net-pci', 'id=nic0', 'addr=01.0', 'romfile=', 'disable-legacy=on', 'ioeventfd=off', `netdev=${netdev}`]
      : ['virtio-net-device', 'id=nic0', `netdev=${netdev}`];
  return [...head, ...plan.properties.map(([n, v]) => formatProperty(n, v))].join(',');
}
