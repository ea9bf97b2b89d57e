/**
 * Device-side receive-filter checks: frames the spec obliges the device to deliver, observed on
 * injected traffic while the model-based scenario programs receive modes, MAC and VLAN tables
 * (virtio 1.4 5.1.9.5.1 - 5.1.9.5.3).
 *
 * @module
 */

import { VIRTIO_NET_F_CTRL_VLAN } from '../../../specs/features/net.js';
import { CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { runFilterScenario } from '../../scenarios/ctrl/filter-commands.js';
import { scaledRuns } from '../../scenarios/ctrl/property.js';
import { FILTER_PROFILE } from '../../scenarios/ctrl/profiles.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Each run normalises the filter (about ten commands), runs up to 16 steps and probes up to 21 frames at a time. */
const RUN_DIVISOR = 12;
/** At least this many runs: a filter fault needs the right command before a probe to show. */
const RUN_FLOOR = 8;

const LISTED_DECISION =
  'The MUSTs on filtering are few: a MAC_TABLE_SET takes effect before it is used, and listed VLANs (all VLANs without CTRL_VLAN) are accepted. The check reads "takes effect" as: from then on, frames to the device MAC or to a table entry of their class are delivered, unless NOUNI / NOMULTI was turned on, and a tagged one only when the VLAN filter accepts it. Everything else may or may not arrive (filtering is best effort). The model follows only acknowledged commands: a refused command, or a mode the device refused to set, leaves the model demanding less.';

/** `net.ctrl.mac.device.2`, `net.ctrl.vlan.device.2`: listed addresses and VLANs are delivered. */
export const ctrlFilterDeliversListed: Check<DeviceCheckContext> = {
  id: 'ctrl.device.filter-delivers-listed',
  title: 'frames to the device MAC or a MAC-table entry, with a listed VLAN or none, are delivered once the commands are used',
  clauses: ['net.ctrl.mac.device.2', 'net.ctrl.vlan.device.2', 'net.ctrl.vlan.device.1', 'net.ctrl.mac.device.4'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_CTRL_RX'] },
  decision: LISTED_DECISION,
  async run(ctx) {
    const session = await CtrlSession.open(ctx, FILTER_PROFILE);
    return runFilterScenario(ctx, session, 'must', scaledRuns(ctx.config, RUN_DIVISOR, RUN_FLOOR));
  },
};

/** `net.ctrl.vlan.device.1`: without CTRL_VLAN every tagged frame passes the VLAN filter. */
export const ctrlVlanUnfilteredWithoutFeature: Check<DeviceCheckContext> = {
  id: 'ctrl.device.vlan-unfiltered-without-ctrl-vlan',
  title: 'with CTRL_VLAN offered but not negotiated, tagged frames to listed addresses are delivered whatever their VLAN',
  clauses: ['net.ctrl.vlan.device.1', 'net.ctrl.mac.device.2'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_CTRL_RX'], excludes: ['VIRTIO_NET_F_CTRL_VLAN'] },
  decision: `${LISTED_DECISION} The driver declines CTRL_VLAN even when it is offered, so a device whose VLAN filter follows the offer rather than the negotiation (bug D10) is seen.`,
  async run(ctx) {
    const session = await CtrlSession.open(ctx, { ...FILTER_PROFILE, decline: [VIRTIO_NET_F_CTRL_VLAN] });
    return runFilterScenario(ctx, session, 'must', scaledRuns(ctx.config, RUN_DIVISOR, RUN_FLOOR));
  },
};

/** `net.ctrl.rx.device.2/3/4/6`: PROMISC, ALLMULTI and ALLUNI deliver what they name. */
export const ctrlRxModeDelivery: Check<DeviceCheckContext> = {
  id: 'ctrl.device.rx-mode-delivery',
  title: 'PROMISC delivers every frame, ALLMULTI every multicast and ALLUNI every unicast frame the VLAN filter accepts',
  clauses: ['net.ctrl.rx.device.2', 'net.ctrl.rx.device.3', 'net.ctrl.rx.device.4', 'net.ctrl.rx.device.6', 'net.ctrl.rx.device.8', 'net.ctrl.rx.device.11'],
  role: 'device',
  level: 'SHOULD',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_CTRL_RX'] },
  decision:
    'Only frames no MUST covers are judged here. PROMISC is read as "all incoming packets", unlisted VLANs included, since rx.device.2 names no exception; ALLMULTI and ALLUNI are judged only on frames the VLAN filter accepts, since vlan.device.3 asks for the others to be dropped, and not while NOMULTI / NOUNI is on (rx.device.8, .11). NOBCAST and the other SHOULD NOT rules are not judged: they demand drops, and a device that delivers more stays conformant to every MUST.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, FILTER_PROFILE);
    return runFilterScenario(ctx, session, 'should', scaledRuns(ctx.config, RUN_DIVISOR, RUN_FLOOR));
  },
};
