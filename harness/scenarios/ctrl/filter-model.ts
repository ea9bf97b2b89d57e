/**
 * The receive-filter model of the ctrl scenarios: what the driver has programmed (receive modes,
 * MAC table, VLAN table, MAC address) and, for one frame, whether the spec obliges the device to
 * deliver it. RX filtering is best effort (summary.md "RX filtering is best effort"): unwanted
 * frames may always arrive, so the model only ever says which frames must (or should) arrive,
 * never which must be dropped.
 *
 * Written from the clauses of 5.1.9.5.1 - 5.1.9.5.3, not from the reference device's filter.
 *
 * @module
 */

import { formatMac, macClass, sameMac } from './frames.js';
import type { RxModeName } from './commands.js';

/** A receive mode as the model knows it: on, off, or unknown after a refused command. */
export type ModeState = boolean | null;

/** What the driver has programmed, as far as the device confirmed it. */
export interface FilterModel {
  /** CTRL_VLAN negotiated: tagged frames need their VID in the table (`net.ctrl.vlan.device.2`). */
  readonly ctrlVlan: boolean;
  /** The device's MAC address (config `mac`, then MAC_ADDR_SET), or null when not known. */
  own: Uint8Array | null;
  /** MAC table, unicast part, as `aa:bb:..`. */
  unicast: Set<string>;
  /** MAC table, multicast part. */
  multicast: Set<string>;
  /** VLAN table. */
  vlans: Set<number>;
  /** Receive modes. */
  modes: Record<RxModeName, ModeState>;
}

/** A fresh model: modes unknown, tables empty. */
export function newFilterModel(ctrlVlan: boolean): FilterModel {
  return {
    ctrlVlan,
    own: null,
    unicast: new Set(),
    multicast: new Set(),
    vlans: new Set(),
    modes: { promisc: null, allmulti: null, alluni: null, nomulti: null, nouni: null, nobcast: null },
  };
}

/** A frame to judge: its destination and VLAN tag. */
export interface FrameTarget {
  readonly dst: Uint8Array;
  readonly vid?: number;
}

/** What the spec asks of the device for one frame: the clause that obliges delivery, or null. */
export interface DeliveryDuty {
  /** Clause that makes delivery a MUST, or null. */
  readonly must: string | null;
  /** Clause that makes delivery a SHOULD (when no MUST applies), or null. */
  readonly should: string | null;
  /** Why, in words. */
  readonly why: string;
}

/** The VLAN filter lets the frame through: untagged, or no VLAN filtering, or its VID listed. */
function vlanAccepted(m: FilterModel, vid: number | undefined): boolean {
  return vid === undefined || !m.ctrlVlan || m.vlans.has(vid);
}

/**
 * The delivery duty for `frame`.
 *
 * MUST: the destination is one the filter is defined to accept — the device's MAC or an entry of
 * the MAC table for its class (`net.ctrl.mac.device.2`; the accepted set is the one
 * `net.ctrl.mac.device.4` names) — no NOUNI / NOMULTI asks otherwise, and the VLAN filter accepts
 * it: untagged, no CTRL_VLAN (`net.ctrl.vlan.device.1`) or a listed VID (`net.ctrl.vlan.device.2`).
 *
 * SHOULD: PROMISC on delivers everything (`net.ctrl.rx.device.2`, even with NO* on:
 * `net.ctrl.rx.device.3`); ALLMULTI every multicast frame and ALLUNI every unicast frame the VLAN
 * filter accepts, unless NOMULTI / NOUNI is on (`net.ctrl.rx.device.4`, `.6`, `.8`, `.11`).
 * A mode whose state is unknown is taken as the reading that demands less.
 */
export function deliveryDuty(m: FilterModel, frame: FrameTarget): DeliveryDuty {
  const cls = macClass(frame.dst);
  const name = formatMac(frame.dst);
  const vlanOk = vlanAccepted(m, frame.vid);
  const tag = frame.vid === undefined ? 'untagged' : `VLAN ${frame.vid}`;
  let listed = false;
  let suppressed = false;
  if (cls === 'unicast') {
    listed = (m.own !== null && sameMac(frame.dst, m.own)) || m.unicast.has(name);
    suppressed = m.modes.nouni !== false;
  } else if (cls === 'multicast') {
    listed = m.multicast.has(name);
    suppressed = m.modes.nomulti !== false;
  }
  if (listed && !suppressed && vlanOk) {
    const must = frame.vid === undefined ? 'net.ctrl.mac.device.2' : m.ctrlVlan ? 'net.ctrl.vlan.device.2' : 'net.ctrl.vlan.device.1';
    const vlanWhy = frame.vid === undefined ? '' : m.ctrlVlan ? `, VLAN ${frame.vid} is in the VLAN table` : ', and without CTRL_VLAN every VLAN is accepted';
    return { must, should: null, why: `${name} is the device MAC or in the MAC table${vlanWhy}` };
  }
  if (m.modes.promisc === true) {
    const anyNo = m.modes.nouni !== false || m.modes.nomulti !== false || m.modes.nobcast !== false;
    return { must: null, should: anyNo ? 'net.ctrl.rx.device.3' : 'net.ctrl.rx.device.2', why: `PROMISC is on (${tag} frame to ${name})` };
  }
  if (vlanOk && cls === 'multicast' && m.modes.allmulti === true && m.modes.nomulti === false) {
    return { must: null, should: 'net.ctrl.rx.device.4', why: `ALLMULTI is on and NOMULTI off (${tag} frame to ${name})` };
  }
  if (vlanOk && cls === 'unicast' && m.modes.alluni === true && m.modes.nouni === false) {
    return { must: null, should: 'net.ctrl.rx.device.6', why: `ALLUNI is on and NOUNI off (${tag} frame to ${name})` };
  }
  return { must: null, should: null, why: 'no rule obliges delivery' };
}
