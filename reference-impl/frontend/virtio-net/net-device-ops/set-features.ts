/**
 * `ndo_set_features` = `virtnet_set_features` (seed §virtnet_set_features;
 * linux-driver-facts §2.2 rows 8-9):
 * - GRO_HW toggled: -EBUSY while XDP is attached; else GUEST_OFFLOADS_SET
 *   with every capable offload (on) or without TSO4/TSO6/ECN/UFO (off).
 * - RXHASH toggled: RSS_CONFIG / HASH_CONFIG with the saved hash types (on)
 *   or VIRTIO_NET_HASH_REPORT_NONE (off); -EINVAL when the device refuses.
 *
 * @module
 */

import { VIRTIO_NET_HASH_REPORT_NONE } from '../../../../specs/net/hash.js';
import { errno } from '../constants.js';
import { virtnetCommitRss, virtnetSetGuestOffloads } from '../ctrl-commands.js';
import { GUEST_OFFLOAD_GRO_HW_MASK, NETIF_F_GRO_HW, NETIF_F_RXHASH, type NetifFeature } from '../features.js';
import type { VirtnetInfo } from '../virtnet-info.js';

/** `virtnet_set_features(dev, features)`: 0 or a negative errno; the caller commits `features` on 0. */
export async function virtnetSetFeatures(vi: VirtnetInfo, features: NetifFeature): Promise<number> {
  const changed = vi.dev.features ^ features;
  if ((changed & NETIF_F_GRO_HW) !== 0) {
    if (vi.xdpEnabled) return errno.EBUSY;
    const offloads = (features & NETIF_F_GRO_HW) !== 0 ? vi.guestOffloadsCapable : vi.guestOffloadsCapable & ~GUEST_OFFLOAD_GRO_HW_MASK;
    const err = await virtnetSetGuestOffloads(vi, offloads);
    if (err !== 0) return err;
    vi.guestOffloads = offloads;
  }
  if ((changed & NETIF_F_RXHASH) !== 0) {
    vi.rss.hashTypes = (features & NETIF_F_RXHASH) !== 0 ? vi.rssHashTypesSaved : VIRTIO_NET_HASH_REPORT_NONE;
    if (!(await virtnetCommitRss(vi))) return errno.EINVAL;
  }
  return 0;
}
