/**
 * `ndo_vlan_rx_add_vid` / `ndo_vlan_rx_kill_vid` (virtio_net.c; seed
 * §virtnet_vlan_rx_add_vid): VLAN ADD / DEL with a le16 vid. A failure only
 * warns; both always return 0. The netdev core calls them only when
 * NETIF_F_HW_VLAN_CTAG_FILTER is on, i.e. with CTRL_VQ and CTRL_VLAN
 * (linux-driver-facts §2.2 row 5).
 *
 * @module
 */

import { ctrlOk } from '../control-queue.js';
import { virtnetVlanCommand } from '../ctrl-commands.js';
import { klog, type VirtnetInfo } from '../virtnet-info.js';

/** `virtnet_vlan_rx_add_vid`. Always 0. */
export async function virtnetVlanRxAddVid(vi: VirtnetInfo, vid: number): Promise<number> {
  if (!ctrlOk(await virtnetVlanCommand(vi, true, vid))) klog(vi, 'warn', `Failed to add VLAN ID ${vid}.`);
  return 0;
}

/** `virtnet_vlan_rx_kill_vid`. Always 0. */
export async function virtnetVlanRxKillVid(vi: VirtnetInfo, vid: number): Promise<number> {
  if (!ctrlOk(await virtnetVlanCommand(vi, false, vid))) klog(vi, 'warn', `Failed to kill VLAN ID ${vid}.`);
  return 0;
}
