/**
 * The device's answer to one control command (`net.ctrl.any.1`): an ack
 * byte, VIRTIO_NET_OK or VIRTIO_NET_ERR, with an optional result and the
 * config field it changed; or DEVICE_NEEDS_RESET when the policy treats a
 * malformed command as fatal.
 *
 * @module
 */

import type { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';

/** Config-space change a successful command made, for the config space owner. */
export type CtrlConfigEffect =
  /** MAC_ADDR_SET: config `mac` must show the state's `mac` before the buffer is used (`net.ctrl.mac.device.3`). */
  | 'mac'
  /** ANNOUNCE_ACK: VIRTIO_NET_S_ANNOUNCE must read clear before the buffer is used (`net.ctrl.announce.device.1`). */
  | 'announce';

/** What the device answers to one command. */
export type CtrlOutcome =
  | {
      readonly kind: 'ack';
      /** VIRTIO_NET_OK or VIRTIO_NET_ERR. */
      readonly ack: typeof VIRTIO_NET_OK | typeof VIRTIO_NET_ERR;
      /** Bytes to write after the ack (VQ_GET only). */
      readonly result?: Uint8Array;
      /** Why ERR. */
      readonly reason?: string;
      /** Clause the refused command broke or that mandates the ERR. */
      readonly clause?: string;
      /** Config field the command changed. */
      readonly configEffect?: CtrlConfigEffect;
    }
  | { readonly kind: 'needs-reset'; readonly reason: string };
