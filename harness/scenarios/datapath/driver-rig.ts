/**
 * Driver-side data-path scenarios: the driver under test bound to the instrument (the reference
 * device) with an offer drawn from the header-shaping features, probed and opened, and a way to
 * send frames through it and collect what reached the instrument's wire with the header fields
 * the driver wrote, plus the instrument's record of what it refused.
 *
 * Offers leave out the control features that make a driver talk on the control queue during
 * open (RX mode, VLAN, MAC, announce, offload commands), so a run costs a probe and an open, and
 * keep receive rings small so that big-packet buffers (19 pages each) fit guest memory.
 *
 * @module
 */

import fc from 'fast-check';
import { featureNames, type FeatureSet } from '../../../specs/features/feature-set.js';
import { virtioNetHdrLength } from '../../../specs/net/hdr.js';
import type { TxFrameRecord } from '../../../reference-impl/net/wire.js';
import type { NetEvent } from '../../../reference-impl/net/net-events.js';
import type { DriverUnderTest, TxRequest } from '../../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import type { DriverCheckContext } from '../../checks/context.js';
import type { Trace } from '../../checks/trace.js';

/** Control features left out of every driver-side data-path offer. */
export const QUIET_CONTROL: readonly string[] = Object.freeze([
  'VIRTIO_NET_F_CTRL_RX',
  'VIRTIO_NET_F_CTRL_VLAN',
  'VIRTIO_NET_F_CTRL_RX_EXTRA',
  'VIRTIO_NET_F_GUEST_ANNOUNCE',
  'VIRTIO_NET_F_CTRL_MAC_ADDR',
  'VIRTIO_NET_F_CTRL_GUEST_OFFLOADS',
]);

/** Which header-shaping features the instrument offers on top of (or takes from) its default. */
export interface DriverOffer {
  readonly mrgRxbuf: boolean;
  readonly hashReport: boolean;
  readonly csum: boolean;
  readonly hostTso: boolean;
  readonly guestCsum: boolean;
  readonly guestTso: boolean;
}

/** Offers over every combination of {@link DriverOffer}. */
export function driverOffer(fixed: Partial<DriverOffer> = {}): fc.Arbitrary<DriverOffer> {
  const b = (key: keyof DriverOffer) => (fixed[key] === undefined ? fc.boolean() : fc.constant(fixed[key] as boolean));
  return fc.record({
    mrgRxbuf: b('mrgRxbuf'),
    hashReport: b('hashReport'),
    csum: b('csum'),
    hostTso: b('hostTso'),
    guestCsum: b('guestCsum'),
    guestTso: b('guestTso'),
  });
}

/** The instrument request for `offer`: the default offer adjusted, dependencies kept whole. */
export function offerRequest(offer: DriverOffer): { addFeatures: string[]; withoutFeatures: string[]; queueSize: number } {
  const without = [...QUIET_CONTROL];
  const add: string[] = [];
  if (!offer.mrgRxbuf) without.push('VIRTIO_NET_F_MRG_RXBUF');
  if (offer.hashReport) add.push('VIRTIO_NET_F_HASH_REPORT');
  // Dependencies (net.featdep.*.device): host TSO needs CSUM, ECN needs TSO; the guest side likewise.
  if (!offer.csum || !offer.hostTso) without.push('VIRTIO_NET_F_HOST_TSO4', 'VIRTIO_NET_F_HOST_TSO6', 'VIRTIO_NET_F_HOST_ECN');
  if (!offer.csum) without.push('VIRTIO_NET_F_CSUM');
  if (!offer.guestCsum || !offer.guestTso) without.push('VIRTIO_NET_F_GUEST_TSO4', 'VIRTIO_NET_F_GUEST_TSO6', 'VIRTIO_NET_F_GUEST_ECN');
  if (!offer.guestCsum) without.push('VIRTIO_NET_F_GUEST_CSUM');
  return { addFeatures: add, withoutFeatures: without, queueSize: 32 };
}

/** A driver probed and opened on the instrument. */
export interface OpenDriver {
  readonly driver: DriverUnderTest;
  readonly device: ReferenceDeviceUnderTest;
  /** What the driver negotiated, as the instrument saw it. */
  readonly features: FeatureSet;
  /** Header length for those features (`virtioNetHdrLength`). */
  readonly hdrLength: number;
  /** The check's trace. */
  readonly trace: Trace;
}

/** The result of {@link openDriver}. */
export type OpenedDriver = { readonly kind: 'open'; readonly rig: OpenDriver } | { readonly kind: 'not-open'; readonly reason: string };

/** Binds the driver to an instrument with `offer`, probes it and opens it. */
export async function openDriver(ctx: DriverCheckContext, offer: DriverOffer): Promise<OpenedDriver> {
  const { driver, device } = await ctx.rig(offerRequest(offer));
  const probed = await driver.probe();
  if (probed.kind !== 'ok') return { kind: 'not-open', reason: `probe: ${probed.kind === 'error' ? probed.message : probed.reason}` };
  const opened = await driver.open();
  if (opened.kind !== 'ok') return { kind: 'not-open', reason: `open: ${opened.kind === 'error' ? opened.message : opened.reason}` };
  const features = device.reference.core.negotiatedFeatures;
  ctx.trace.record(`driver open on the instrument: ${featureNames(features).join(' ')}`);
  return { kind: 'open', rig: { driver, device, features, hdrLength: virtioNetHdrLength(features), trace: ctx.trace } };
}

/** What one transmit request led to at the instrument. */
export interface TxObservation {
  readonly request: TxRequest;
  /** The driver's answer. */
  readonly accepted: boolean;
  /** Frames the instrument put on the wire, with the header fields the driver wrote. */
  readonly records: readonly TxFrameRecord[];
  /** Frames the instrument dropped and driver rules it saw broken, with their clauses. */
  readonly refusals: readonly Extract<NetEvent, { kind: 'tx-drop' | 'driver-violation' }>[];
}

/** Hands `request` to the driver and collects what the instrument saw of it. */
export async function transmitThrough(rig: OpenDriver, request: TxRequest): Promise<TxObservation> {
  const events = rig.device.reference.netEvents;
  const before = events.events.length;
  const answer = await rig.driver.transmit(request);
  const records = rig.device.reference.wire.take();
  rig.trace.record(
    `driver transmit ${request.frame.length} bytes${request.checksum === undefined ? '' : ' +csum'}${request.gso === undefined ? '' : ` +gso ${request.gso.type}/${request.gso.size}`}: ${answer.kind}, ${records.length} on the wire`,
  );
  const refusals = events.events
    .slice(before)
    .filter((e): e is Extract<NetEvent, { kind: 'tx-drop' | 'driver-violation' }> => e.kind === 'tx-drop' || e.kind === 'driver-violation');
  return { request, accepted: answer.kind === 'ok', records, refusals };
}
