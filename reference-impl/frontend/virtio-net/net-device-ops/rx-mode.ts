/**
 * `ndo_set_rx_mode` = `virtnet_set_rx_mode` (virtio_net.c:2247-2303;
 * linux-driver-facts §2.2 rows 1-3): with CTRL_RX, three commands in a
 * row: PROMISC, ALLMULTI, then MAC TABLE_SET with the unicast and
 * multicast lists. Failures only warn. Without CTRL_RX the driver returns
 * at once and never programs a filter. CTRL_RX_EXTRA is not acked by 6.1,
 * so ALLUNI / NOMULTI / NOUNI / NOBCAST never go out.
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_RX } from '../../../../specs/features/net.js';
import { VIRTIO_NET_CTRL_RX_ALLMULTI, VIRTIO_NET_CTRL_RX_PROMISC } from '../../../../specs/net/ctrl.js';
import { ctrlOk } from '../control-queue.js';
import { virtnetMacTableSet, virtnetRxModeCommand } from '../ctrl-commands.js';
import { klog, type VirtnetInfo } from '../virtnet-info.js';

/** `virtnet_set_rx_mode`. Returns the number of commands sent (0 without CTRL_RX). */
export async function virtnetSetRxMode(vi: VirtnetInfo): Promise<number> {
  if (!hasFeature(vi.vdev.features, VIRTIO_NET_F_CTRL_RX)) return 0;
  const dev = vi.dev;
  const promisc = dev.promisc;
  const allmulti = dev.allmulti;
  if (!ctrlOk(await virtnetRxModeCommand(vi, VIRTIO_NET_CTRL_RX_PROMISC, promisc))) {
    klog(vi, 'warn', `Failed to ${promisc ? 'en' : 'dis'}able promisc mode.`);
  }
  if (!ctrlOk(await virtnetRxModeCommand(vi, VIRTIO_NET_CTRL_RX_ALLMULTI, allmulti))) {
    klog(vi, 'warn', `Failed to ${allmulti ? 'en' : 'dis'}able allmulti mode.`);
  }
  const out = await virtnetMacTableSet(vi, dev.uc, dev.mc);
  // A table too large for the command area is Linux's failed kzalloc: skipped silently.
  if (out.kind === 'add-failed' && out.reason === 'no-memory') return 2;
  if (!ctrlOk(out)) klog(vi, 'warn', 'Failed to set MAC filter table.');
  return 3;
}
