/**
 * `virtnet_ethtool_ops` (seed §virtnet_ethtool_ops): driver info, link,
 * link settings, statistics strings and values here; ring sizes, channels,
 * coalescing and RSS in `ethtool/`.
 *
 * Speed and duplex are local: `ethtool -s` changes what the driver reports,
 * never the device; the device's values come from config space with
 * SPEED_DUPLEX on link-up (`virtnet_update_settings`).
 *
 * @module
 */

import { errno } from './constants.js';
import { type EthtoolChannels, type EthtoolCoalesce, virtnetGetChannels, virtnetGetCoalesce, virtnetSetChannels, virtnetSetCoalesce } from './ethtool/channels-coalesce.js';
import { type EthtoolRingparam, virtnetGetRingparam, virtnetSetRingparam } from './ethtool/ringparam.js';
import {
  type EthtoolFlowType,
  virtnetGetHashflow,
  virtnetGetRxfh,
  virtnetGetRxfhIndirSize,
  virtnetGetRxfhKeySize,
  virtnetSetHashflow,
  virtnetSetRxfh,
} from './ethtool/rxfh.js';
import { virtnetEthtoolStats, virtnetStatStrings } from './stats.js';
import type { VirtnetInfo } from './virtnet-info.js';

export * from './ethtool/channels-coalesce.js';
export * from './ethtool/ringparam.js';
export * from './ethtool/rxfh.js';

/** `KBUILD_MODNAME`. */
export const VIRTNET_DRIVER_NAME = 'virtio_net';
/** `VIRTNET_DRIVER_VERSION`. */
export const VIRTNET_DRIVER_VERSION = '1.0.0';

/** `struct ethtool_drvinfo` as virtio-net fills it. */
export interface EthtoolDrvinfo {
  readonly driver: string;
  readonly version: string;
  readonly busInfo: string;
}

/** `virtnet_get_drvinfo`. */
export function virtnetGetDrvinfo(vi: VirtnetInfo): EthtoolDrvinfo {
  return { driver: VIRTNET_DRIVER_NAME, version: VIRTNET_DRIVER_VERSION, busInfo: vi.vdev.config.busName };
}

/** `ethtool_op_get_link`: the carrier. */
export function ethtoolOpGetLink(vi: VirtnetInfo): boolean {
  return vi.dev.carrier;
}

/** `PORT_OTHER`. */
export const PORT_OTHER = 0xff;

/** The `ethtool_link_ksettings` fields virtio-net uses. */
export interface EthtoolLinkKsettings {
  readonly speed: number;
  readonly duplex: number;
  readonly port: number;
  /** `AUTONEG_DISABLE` (0) is the only accepted value. */
  readonly autoneg: number;
  /** Advertised / supported link modes; must be empty to set. */
  readonly linkModes?: number;
}

/** `virtnet_get_link_ksettings`. */
export function virtnetGetLinkKsettings(vi: VirtnetInfo): EthtoolLinkKsettings {
  return { speed: vi.speed, duplex: vi.duplex, port: PORT_OTHER, autoneg: 0 };
}

/**
 * `virtnet_set_link_ksettings` = `ethtool_virtdev_set_link_ksettings`:
 * only speed and duplex may differ from a blank request (port PORT_OTHER,
 * autoneg off, no link modes); they are stored locally. 0 or -EINVAL.
 */
export function virtnetSetLinkKsettings(vi: VirtnetInfo, cmd: EthtoolLinkKsettings): number {
  if (cmd.port !== PORT_OTHER || cmd.autoneg !== 0 || (cmd.linkModes ?? 0) !== 0) return errno.EINVAL;
  vi.speed = cmd.speed >>> 0;
  vi.duplex = cmd.duplex & 0xff;
  return 0;
}

/** `virtnet_get_sset_count(ETH_SS_STATS)`. */
export function virtnetGetSsetCount(vi: VirtnetInfo): number {
  return virtnetStatStrings(vi.currQueuePairs).length;
}

/** `virtnet_get_strings(ETH_SS_STATS)`. */
export function virtnetGetStrings(vi: VirtnetInfo): readonly string[] {
  return virtnetStatStrings(vi.currQueuePairs);
}

/** `virtnet_get_ethtool_stats`. */
export function virtnetGetEthtoolStats(vi: VirtnetInfo): readonly number[] {
  return virtnetEthtoolStats(
    vi.currQueuePairs,
    vi.rq.map((r) => r.stats),
    vi.sq.map((s) => s.stats),
  );
}

/** `ETHTOOL_GRXRINGS`: the number of receive rings (curr_queue_pairs). */
export function virtnetGetRxRings(vi: VirtnetInfo): number {
  return vi.currQueuePairs;
}

/** `struct ethtool_ops` as virtio-net fills it. */
export interface EthtoolOps {
  readonly getDrvinfo: (vi: VirtnetInfo) => EthtoolDrvinfo;
  readonly getLink: (vi: VirtnetInfo) => boolean;
  readonly getRingparam: (vi: VirtnetInfo) => EthtoolRingparam;
  readonly setRingparam: (vi: VirtnetInfo, ring: EthtoolRingparam) => Promise<number>;
  readonly getStrings: (vi: VirtnetInfo) => readonly string[];
  readonly getSsetCount: (vi: VirtnetInfo) => number;
  readonly getEthtoolStats: (vi: VirtnetInfo) => readonly number[];
  readonly setChannels: (vi: VirtnetInfo, ch: EthtoolChannels) => Promise<number>;
  readonly getChannels: (vi: VirtnetInfo) => EthtoolChannels;
  readonly getLinkKsettings: (vi: VirtnetInfo) => EthtoolLinkKsettings;
  readonly setLinkKsettings: (vi: VirtnetInfo, cmd: EthtoolLinkKsettings) => number;
  readonly setCoalesce: (vi: VirtnetInfo, ec: EthtoolCoalesce) => Promise<number>;
  readonly getCoalesce: (vi: VirtnetInfo) => EthtoolCoalesce;
  readonly getRxfhKeySize: (vi: VirtnetInfo) => number;
  readonly getRxfhIndirSize: (vi: VirtnetInfo) => number;
  readonly getRxfh: (vi: VirtnetInfo) => ReturnType<typeof virtnetGetRxfh>;
  readonly setRxfh: (vi: VirtnetInfo, indir: readonly number[] | null, key: Uint8Array | null, hfunc: number) => Promise<number>;
  readonly getRxnfcHashflow: (vi: VirtnetInfo, flow: EthtoolFlowType) => number;
  readonly setRxnfcHashflow: (vi: VirtnetInfo, flow: EthtoolFlowType, data: number) => Promise<number>;
  readonly getRxRings: (vi: VirtnetInfo) => number;
}

/** `virtnet_ethtool_ops`. */
export const virtnetEthtoolOps: EthtoolOps = Object.freeze({
  getDrvinfo: virtnetGetDrvinfo,
  getLink: ethtoolOpGetLink,
  getRingparam: virtnetGetRingparam,
  setRingparam: virtnetSetRingparam,
  getStrings: virtnetGetStrings,
  getSsetCount: virtnetGetSsetCount,
  getEthtoolStats: virtnetGetEthtoolStats,
  setChannels: virtnetSetChannels,
  getChannels: virtnetGetChannels,
  getLinkKsettings: virtnetGetLinkKsettings,
  setLinkKsettings: virtnetSetLinkKsettings,
  setCoalesce: virtnetSetCoalesce,
  getCoalesce: virtnetGetCoalesce,
  getRxfhKeySize: virtnetGetRxfhKeySize,
  getRxfhIndirSize: virtnetGetRxfhIndirSize,
  getRxfh: virtnetGetRxfh,
  setRxfh: virtnetSetRxfh,
  getRxnfcHashflow: virtnetGetHashflow,
  setRxnfcHashflow: virtnetSetHashflow,
  getRxRings: virtnetGetRxRings,
});
