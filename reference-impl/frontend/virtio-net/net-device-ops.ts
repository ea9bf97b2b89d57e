/**
 * `virtnet_netdev`, the `struct net_device_ops` of virtio-net (seed
 * §virtnet_netdev), one function per operation; the implementations live
 * in `net-device-ops/`.
 *
 * @module
 */

import type { NetifFeature } from './features.js';
import { virtnetClose, virtnetOpen } from './net-device-ops/open-stop.js';
import { ethValidateAddr, virtnetSetMacAddress } from './net-device-ops/mac.js';
import { passthruFeaturesCheck, virtnetGetPhysPortName, virtnetGetStats64, virtnetTxTimeout } from './net-device-ops/misc.js';
import { virtnetSetRxMode } from './net-device-ops/rx-mode.js';
import { virtnetSetFeatures } from './net-device-ops/set-features.js';
import { type StartXmitResult, startXmit } from './net-device-ops/start-xmit.js';
import { virtnetVlanRxAddVid, virtnetVlanRxKillVid } from './net-device-ops/vlan.js';
import { virtnetXdpSet } from './net-device-ops/xdp-setup.js';
import type { Skb } from './skb.js';
import type { RtnlLinkStats64 } from './stats.js';
import type { VirtnetInfo, XdpProgram } from './virtnet-info.js';
import { virtnetXdpXmit } from './xdp.js';

export { virtnetClose, virtnetOpen } from './net-device-ops/open-stop.js';
export { ethValidateAddr, virtnetSetMacAddress } from './net-device-ops/mac.js';
export { passthruFeaturesCheck, virtnetGetPhysPortName, virtnetGetStats64, virtnetTxTimeout } from './net-device-ops/misc.js';
export { virtnetSetRxMode } from './net-device-ops/rx-mode.js';
export { virtnetSetFeatures } from './net-device-ops/set-features.js';
export { type StartXmitResult, startXmit } from './net-device-ops/start-xmit.js';
export { virtnetVlanRxAddVid, virtnetVlanRxKillVid } from './net-device-ops/vlan.js';
export { virtnetXdpSet } from './net-device-ops/xdp-setup.js';

/** `struct net_device_ops` as far as virtio-net fills it. */
export interface NetDeviceOps {
  readonly ndoOpen: (vi: VirtnetInfo) => Promise<number>;
  readonly ndoStop: (vi: VirtnetInfo) => Promise<number>;
  readonly ndoStartXmit: (vi: VirtnetInfo, skb: Skb) => Promise<StartXmitResult>;
  readonly ndoValidateAddr: (vi: VirtnetInfo) => number;
  readonly ndoSetMacAddress: (vi: VirtnetInfo, mac: Uint8Array) => Promise<number>;
  readonly ndoSetRxMode: (vi: VirtnetInfo) => Promise<number>;
  readonly ndoGetStats64: (vi: VirtnetInfo) => RtnlLinkStats64;
  readonly ndoVlanRxAddVid: (vi: VirtnetInfo, vid: number) => Promise<number>;
  readonly ndoVlanRxKillVid: (vi: VirtnetInfo, vid: number) => Promise<number>;
  /** `ndo_bpf` with XDP_SETUP_PROG. */
  readonly ndoBpf: (vi: VirtnetInfo, prog: XdpProgram | null) => Promise<number>;
  readonly ndoXdpXmit: (vi: VirtnetInfo, frames: readonly Uint8Array[], flags: number) => Promise<number>;
  readonly ndoFeaturesCheck: (features: NetifFeature) => NetifFeature;
  readonly ndoGetPhysPortName: (vi: VirtnetInfo) => string | number;
  readonly ndoSetFeatures: (vi: VirtnetInfo, features: NetifFeature) => Promise<number>;
  readonly ndoTxTimeout: (vi: VirtnetInfo, txqueue: number, sinceMs: number) => void;
}

/** `virtnet_netdev`. */
export const virtnetNetdevOps: NetDeviceOps = Object.freeze({
  ndoOpen: virtnetOpen,
  ndoStop: virtnetClose,
  ndoStartXmit: startXmit,
  ndoValidateAddr: ethValidateAddr,
  ndoSetMacAddress: virtnetSetMacAddress,
  ndoSetRxMode: virtnetSetRxMode,
  ndoGetStats64: virtnetGetStats64,
  ndoVlanRxAddVid: virtnetVlanRxAddVid,
  ndoVlanRxKillVid: virtnetVlanRxKillVid,
  ndoBpf: virtnetXdpSet,
  ndoXdpXmit: virtnetXdpXmit,
  ndoFeaturesCheck: passthruFeaturesCheck,
  ndoGetPhysPortName: virtnetGetPhysPortName,
  ndoSetFeatures: virtnetSetFeatures,
  ndoTxTimeout: virtnetTxTimeout,
});
