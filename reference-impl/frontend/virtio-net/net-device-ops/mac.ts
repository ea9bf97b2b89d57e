/**
 * `ndo_validate_addr` = `eth_validate_addr` and `ndo_set_mac_address` =
 * `virtnet_set_mac_address` (virtio_net.c:2088-2133; linux-driver-facts
 * §1.8). Three paths: MAC_ADDR_SET with CTRL_MAC_ADDR; byte-wise config
 * writes on a legacy device with F_MAC; otherwise a local change only, so a
 * modern device never sees a config-space write from this driver
 * (`net.cfg.driver.*`: the config is read-only for VERSION_1).
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STANDBY } from '../../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../../specs/features/reserved.js';
import { virtio_net_config } from '../../../../specs/net/config.js';
import { errno } from '../constants.js';
import { ctrlOk } from '../control-queue.js';
import { virtnetMacAddrSet } from '../ctrl-commands.js';
import { isValidEtherAddr } from '../probe-decisions.js';
import { klog, type VirtnetInfo } from '../virtnet-info.js';

/** `eth_validate_addr`: 0, or -EADDRNOTAVAIL for a multicast or all-zero MAC (so `dev_open` fails). */
export function ethValidateAddr(vi: VirtnetInfo): number {
  return isValidEtherAddr(vi.dev.devAddr) ? 0 : errno.EADDRNOTAVAIL;
}

/**
 * `virtnet_set_mac_address`: -EOPNOTSUPP with STANDBY, -EADDRNOTAVAIL for
 * an invalid address (`eth_prepare_mac_addr_change`), -EINVAL when the
 * device refuses MAC_ADDR_SET (MAC unchanged), else 0 with the new MAC.
 */
export async function virtnetSetMacAddress(vi: VirtnetInfo, mac: Uint8Array): Promise<number> {
  const features = vi.vdev.features;
  if (hasFeature(features, VIRTIO_NET_F_STANDBY)) return errno.EOPNOTSUPP;
  const addr = mac.slice(0, 6);
  if (!isValidEtherAddr(addr)) return errno.EADDRNOTAVAIL;
  if (hasFeature(features, VIRTIO_NET_F_CTRL_MAC_ADDR)) {
    if (!ctrlOk(await virtnetMacAddrSet(vi, addr))) {
      klog(vi, 'warn', 'Failed to set mac address by vq command.');
      return errno.EINVAL;
    }
  } else if (hasFeature(features, VIRTIO_NET_F_MAC) && !hasFeature(features, VIRTIO_F_VERSION_1)) {
    // "Naturally, this has an atomicity problem."
    for (let i = 0; i < 6; i++) await vi.vdev.cwrite(virtio_net_config.fields.mac.offset + i, 1, addr[i] as number);
  }
  vi.dev.devAddr = addr;
  vi.dev.addrAssignType = 'set';
  return 0;
}
