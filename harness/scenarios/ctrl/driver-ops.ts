/**
 * The driver-side ctrl scenario: a driver under test bound to the instrument with a tap on its
 * control queue, brought up (probe, open), then driven by operations a stack performs that make
 * a net driver send control commands (receive mode, MAC address, VLANs, channels, an
 * announcement the instrument raises).
 *
 * @module
 */

import fc from 'fast-check';
import type { DeviceRequest, DriverUnderTest } from '../../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import type { DriverCheckContext } from '../../checks/context.js';
import { ControlTap } from './ctrl-tap.js';
import { formatMac } from './frames.js';
import { Undecided } from './property.js';

/**
 * Queue size the instrument offers. Control commands do not need deep rings, and a multiqueue
 * driver filling several 256-entry receive rings can exhaust the instrument's 4 MiB of guest
 * memory (the reference driver then retries its refill without pause).
 */
export const RIG_QUEUE_SIZE = 64;

/** A driver bound to the instrument, with the tap on its controlq. */
export interface TappedRig {
  readonly driver: DriverUnderTest;
  readonly device: ReferenceDeviceUnderTest;
  readonly tap: ControlTap;
}

/**
 * Binds the driver under test to a fresh instrument configured by `request`, taps the controlq,
 * and probes and opens the driver.
 * @throws Undecided when the driver refuses the device or cannot open.
 */
export async function openTappedRig(ctx: DriverCheckContext, request: Omit<DeviceRequest, 'transport'>): Promise<TappedRig> {
  const { driver, device } = await ctx.rig({ queueSize: RIG_QUEUE_SIZE, ...request });
  const tap = ControlTap.attach(device);
  const probed = await driver.probe();
  if (probed.kind !== 'ok') throw new Undecided(`the driver did not probe the instrument: ${probed.kind === 'error' ? probed.message : probed.reason}`);
  const opened = await driver.open();
  if (opened.kind !== 'ok') throw new Undecided(`the driver did not open: ${opened.kind === 'error' ? opened.message : opened.reason}`);
  ctx.trace.record(`driver probed and opened; ${tap.commands.length} control command(s) so far`);
  return { driver, device, tap };
}

/** One operation of the stack on the driver. */
export type DriverOp =
  | { readonly kind: 'rx-mode'; readonly promisc: boolean; readonly allmulti: boolean; readonly unicast: number; readonly multicast: number }
  | { readonly kind: 'set-mac'; readonly last: number }
  | { readonly kind: 'vlan-add' | 'vlan-kill'; readonly vid: number }
  | { readonly kind: 'set-pairs'; readonly pairs: number }
  | { readonly kind: 'announce' };

/**
 * One of every operation, so that each driver path that sends control commands is taken at
 * least once per run whatever the random operations are.
 */
export const EXERCISE: readonly DriverOp[] = Object.freeze([
  { kind: 'rx-mode', promisc: false, allmulti: true, unicast: 2, multicast: 2 },
  { kind: 'set-mac', last: 0x42 },
  { kind: 'vlan-add', vid: 100 },
  { kind: 'vlan-kill', vid: 100 },
  { kind: 'set-pairs', pairs: 2 },
  { kind: 'set-pairs', pairs: 1 },
  { kind: 'announce' },
]);

/** Unicast address `i` of the rx-mode lists. */
export function listUnicast(i: number): Uint8Array {
  return Uint8Array.of(0x02, 0x5a, 0, 0, i >>> 8, i & 0xff);
}

/** Multicast address `i` of the rx-mode lists. */
export function listMulticast(i: number): Uint8Array {
  return Uint8Array.of(0x01, 0x00, 0x5e, 0, i >>> 8, i & 0xff);
}

/** An rx-mode operation with lists of up to `max` addresses each. */
export function rxModeOp(max: number): fc.Arbitrary<DriverOp> {
  return fc.record({ promisc: fc.boolean(), allmulti: fc.boolean(), unicast: fc.nat(max), multicast: fc.nat(max) }).map((r): DriverOp => ({ kind: 'rx-mode', ...r }));
}

/** Any operation; `maxPairs` bounds the channel counts asked for (out-of-range values included). */
export function driverOp(maxPairs: number): fc.Arbitrary<DriverOp> {
  return fc.oneof(
    rxModeOp(4),
    fc.nat(255).map((last): DriverOp => ({ kind: 'set-mac', last })),
    fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4094 })).map(([add, vid]): DriverOp => ({ kind: add ? 'vlan-add' : 'vlan-kill', vid })),
    fc.integer({ min: 0, max: maxPairs + 1 }).map((pairs): DriverOp => ({ kind: 'set-pairs', pairs })),
    fc.constant<DriverOp>({ kind: 'announce' }),
  );
}

/** `op` in words. */
export function describeOp(op: DriverOp): string {
  switch (op.kind) {
    case 'rx-mode':
      return `set_rx_mode promisc ${op.promisc} allmulti ${op.allmulti}, ${op.unicast} unicast, ${op.multicast} multicast`;
    case 'set-mac':
      return `set_mac_address ${formatMac(Uint8Array.of(0x02, 0x77, 0, 0, 0, op.last))}`;
    case 'vlan-add':
    case 'vlan-kill':
      return `vlan_rx_${op.kind === 'vlan-add' ? 'add' : 'kill'}_vid ${op.vid}`;
    case 'set-pairs':
      return `set_channels combined ${op.pairs}`;
    case 'announce':
      return 'the device sets VIRTIO_NET_S_ANNOUNCE';
  }
}

/** Performs `op` on the rig. The driver's answer is not judged: only what it sends. */
export async function performOp(ctx: DriverCheckContext, rig: TappedRig, op: DriverOp): Promise<void> {
  const before = rig.tap.commands.length;
  const d = rig.driver;
  switch (op.kind) {
    case 'rx-mode':
      await d.setRxMode({
        promisc: op.promisc,
        allmulti: op.allmulti,
        unicast: Array.from({ length: op.unicast }, (_, i) => listUnicast(i)),
        multicast: Array.from({ length: op.multicast }, (_, i) => listMulticast(i)),
      });
      break;
    case 'set-mac':
      await d.setMacAddress(Uint8Array.of(0x02, 0x77, 0, 0, 0, op.last));
      break;
    case 'vlan-add':
      await d.addVlan(op.vid);
      break;
    case 'vlan-kill':
      await d.killVlan(op.vid);
      break;
    case 'set-pairs':
      await d.setQueuePairs(op.pairs);
      break;
    case 'announce':
      rig.device.reference.net.requestAnnounce();
      await d.poll();
      break;
  }
  await d.poll();
  const sent = rig.tap.since(before).map((c) => `${c.klass}/${c.command}(${c.payload.length}B)->${c.ack ?? '-'}`);
  ctx.trace.record(`${describeOp(op)}: sent [${sent.join(' ')}]`);
}
