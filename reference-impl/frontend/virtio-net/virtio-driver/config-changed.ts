/**
 * `virtnet_config_changed` and its work `virtnet_config_changed_work`
 * (virtio_net.c:3392-3423; linux-driver-facts §1.12), and
 * `virtnet_update_settings`.
 *
 * Without F_STATUS config changes are ignored. ANNOUNCE is acted on
 * (peers notified, ANNOUNCE_ACK sent) whether or not GUEST_ANNOUNCE was
 * negotiated, as in 6.1; with neither GUEST_ANNOUNCE nor CTRL_VQ that is
 * Linux's `BUG_ON`, recorded in `vi.oops`. Only LINK_UP is looked at
 * otherwise; unknown bits are ignored (`net.cfg.driver.6`).
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_SPEED_DUPLEX, VIRTIO_NET_F_STATUS } from '../../../../specs/features/net.js';
import { VIRTIO_NET_S_ANNOUNCE, VIRTIO_NET_S_LINK_UP, virtio_net_config } from '../../../../specs/net/config.js';
import { DUPLEX_UNKNOWN } from '../constants.js';
import { virtnetAckLinkAnnounce } from '../ctrl-commands.js';
import { netifTxStopAllQueues, netifTxWakeAllQueues, type VirtnetInfo } from '../virtnet-info.js';

const CFG = virtio_net_config.fields;

/** `ethtool_validate_speed`: up to INT_MAX, or SPEED_UNKNOWN. */
export function ethtoolValidateSpeed(speed: number): boolean {
  return speed <= 0x7fff_ffff || speed === 0xffff_ffff;
}

/** `ethtool_validate_duplex`: half, full or unknown. */
export function ethtoolValidateDuplex(duplex: number): boolean {
  return duplex === 0 || duplex === 1 || duplex === DUPLEX_UNKNOWN;
}

/** `virtnet_update_settings`: speed and duplex from config space with SPEED_DUPLEX, kept only when valid (`net.cfg.driver.11`). */
export async function virtnetUpdateSettings(vi: VirtnetInfo): Promise<void> {
  if (!hasFeature(vi.vdev.features, VIRTIO_NET_F_SPEED_DUPLEX)) return;
  const speed = (await vi.vdev.cread32(CFG.speed.offset)) >>> 0;
  if (ethtoolValidateSpeed(speed)) vi.speed = speed;
  const duplex = await vi.vdev.cread8(CFG.duplex.offset);
  if (ethtoolValidateDuplex(duplex)) vi.duplex = duplex;
}

/** `virtnet_config_changed_work`. */
export async function virtnetConfigChangedWork(vi: VirtnetInfo): Promise<void> {
  vi.configWorkPending = false;
  if (!hasFeature(vi.vdev.features, VIRTIO_NET_F_STATUS)) return;
  let v = await vi.vdev.cread16(CFG.status.offset);
  if ((v & VIRTIO_NET_S_ANNOUNCE) !== 0) {
    vi.dev.peerNotifications++;
    await virtnetAckLinkAnnounce(vi);
  }
  v &= VIRTIO_NET_S_LINK_UP;
  if (vi.status === v) return;
  vi.status = v;
  if ((v & VIRTIO_NET_S_LINK_UP) !== 0) {
    await virtnetUpdateSettings(vi);
    vi.dev.carrier = true;
    netifTxWakeAllQueues(vi);
  } else {
    vi.dev.carrier = false;
    netifTxStopAllQueues(vi);
  }
}

/** `virtnet_config_changed`: schedules the work (once while pending). */
export function virtnetConfigChanged(vi: VirtnetInfo): void {
  if (vi.configWorkPending) return;
  vi.configWorkPending = true;
  vi.softirq.defer(() => virtnetConfigChangedWork(vi));
}
