/**
 * Driver-side MTU checks against an instrument offering VIRTIO_NET_F_MTU: the driver does not
 * accept the feature with an unusable mtu, accepts it with a usable one, sends no frame above
 * `mtu + 14`, and posts receive buffers that hold an `mtu + 14` frame.
 *
 * @module
 */

import fc from 'fast-check';
import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MTU } from '../../../specs/features/net.js';
import type { DeviceRequest } from '../../adapters/contract.js';
import { frameLengthUpTo, invalidMtu, maxFrame, MTU_FIELD, validMtu } from '../../scenarios/mtu/mtu-cases.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import { initCycles, showConfigValue } from '../../scenarios/negotiation/instrument.js';
import { checkProperty, Undecided, violation } from '../../scenarios/negotiation/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Each run binds a rig: a tenth of the configured runs. */
const RIG_SCALE = 10;

/** Ring size for the receive-buffer check. */
const RX_RING = 32;

/** An instrument offering F_MTU with `mtu`; 64-entry rings keep a rig per run cheap. */
const withMtu = (mtu: number, extra: Omit<DeviceRequest, 'transport'> = {}): Omit<DeviceRequest, 'transport'> => ({
  queueSize: 64,
  ...extra,
  addFeatures: [...(extra.addFeatures ?? []), 'VIRTIO_NET_F_MTU'],
  mtu,
});

/**
 * `features.driver.3`: offered VIRTIO_NET_F_MTU with an mtu below 68, the driver either leaves
 * F_MTU out of the set it accepts or gives up before DRIVER_OK.
 */
export const driverRejectsInvalidMtu: Check<DriverCheckContext> = {
  id: 'mtu.driver.rejects-invalid-mtu',
  title: 'The driver does not run with VIRTIO_NET_F_MTU when mtu is below 68',
  clauses: ['features.driver.3', 'net.cfg.driver.9'],
  role: 'driver',
  level: 'MUST',
  area: 'mtu',
  applies: {},
  decision:
    'The spec has no clause for a driver facing an mtu below 68 (a device error, net.cfg.device.2). Read here as part of ' +
    'validating the offer (features.driver.3): no IPv4 packet fits such an mtu, so a driver bound by net.cfg.driver.9 ' +
    'cannot work with it. Both ways out pass: clearing F_MTU (Linux, fe36cbe0671e) and refusing the device before ' +
    'DRIVER_OK (Linux before that commit).',
  async run(context) {
    return checkProperty(
      context.config,
      invalidMtu(),
      async (mtu) => {
        const { driver, device } = await context.rig(withMtu(1500));
        showConfigValue(device, MTU_FIELD.offset, 2, mtu);
        await driver.probe();
        for (const cycle of initCycles(device.reference.events.events)) {
          if (cycle.atFeaturesOk !== null && hasFeature(cycle.atFeaturesOk, VIRTIO_NET_F_MTU) && cycle.atDriverOk !== null) {
            violation('features.driver.3', `the device showed mtu ${mtu}; the driver accepted VIRTIO_NET_F_MTU and set DRIVER_OK`, 'with an mtu below 68 the driver clears VIRTIO_NET_F_MTU or does not bring the device up');
          }
        }
      },
      { scale: RIG_SCALE },
    );
  },
};

/** `net.cfg.driver.7`: offered VIRTIO_NET_F_MTU with a valid mtu, the driver accepts it. */
export const driverAcceptsMtu: Check<DriverCheckContext> = {
  id: 'mtu.driver.accepts-mtu',
  title: 'The driver accepts VIRTIO_NET_F_MTU when offered with a valid mtu',
  clauses: ['net.cfg.driver.7'],
  role: 'driver',
  level: 'SHOULD',
  area: 'mtu',
  applies: {},
  async run(context) {
    return checkProperty(
      context.config,
      validMtu(),
      async (mtu) => {
        const { driver, device } = await context.rig(withMtu(mtu));
        await driver.probe();
        const accepted = initCycles(device.reference.events.events).flatMap((c) => (c.atFeaturesOk === null ? [] : [c.atFeaturesOk]));
        if (accepted.length === 0) throw new Undecided('the driver never set FEATURES_OK');
        if (!accepted.some((set) => hasFeature(set, VIRTIO_NET_F_MTU))) {
          violation('net.cfg.driver.7', `offered VIRTIO_NET_F_MTU with mtu ${mtu}, the driver left it out`, 'a driver accepts VIRTIO_NET_F_MTU when offered');
        }
      },
      { scale: RIG_SCALE },
    );
  },
};

/**
 * `net.cfg.driver.9`: with MTU negotiated, the harness hands the driver frames of at most
 * `mtu + 14` bytes; nothing longer may reach the transmit ring.
 */
export const driverTransmitLimit: Check<DriverCheckContext> = {
  id: 'mtu.driver.tx-within-mtu',
  title: 'With MTU negotiated the driver transmits no frame longer than mtu + 14',
  clauses: ['net.cfg.driver.9'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'mtu',
  applies: { requires: ['VIRTIO_NET_F_MTU'] },
  decision:
    'transmit() plays the network stack, which never hands an interface a non-GSO frame above its MTU (Linux packet_snd ' +
    'answers EMSGSIZE), so the harness offers frames of at most mtu + 14 bytes and judges what the driver puts on the ring.',
  async run(context) {
    const cases = validMtu(9000).chain((mtu) => fc.tuple(fc.constant(mtu), fc.array(frameLengthUpTo(mtu), { minLength: 1, maxLength: 4 })));
    return checkProperty(
      context.config,
      cases,
      async ([mtu, lengths]) => {
        const { driver, device } = await context.rig(withMtu(mtu));
        if ((await driver.probe()).kind !== 'ok' || (await driver.open()).kind !== 'ok') throw new Undecided('the driver did not come up');
        if (!hasFeature(device.reference.core.negotiatedFeatures, VIRTIO_NET_F_MTU)) throw new Undecided('VIRTIO_NET_F_MTU was not negotiated');
        for (const [i, length] of lengths.entries()) await driver.transmit({ frame: broadcastFrame(length, i) });
        context.trace.record(`mtu ${mtu}: handed the driver frames of ${lengths.join(', ')} bytes`);
        const longest = Math.max(0, ...(await device.wire.drain()).map((f) => f.bytes.length));
        const dropped = device.reference.netEvents.ofKind('tx-drop').filter((d) => d.reason === 'exceeds-mtu');
        if (longest > maxFrame(mtu) || dropped.length > 0) {
          violation(
            'net.cfg.driver.9',
            `handed frames of ${lengths.join(', ')} bytes with mtu ${mtu}, the driver put ${dropped.length > 0 ? (dropped[0] as { message: string }).message : `a ${longest}-byte frame`} on the ring`,
            `no non-GSO frame longer than mtu + 14 = ${maxFrame(mtu)} bytes`,
          );
        }
      },
      { scale: RIG_SCALE },
    );
  },
};

/**
 * `net.cfg.driver.8`: with MTU negotiated, a frame of exactly `mtu + 14` bytes finds room in the
 * receive buffers the driver posted (with and without merged buffers).
 */
export const driverReceiveBuffers: Check<DriverCheckContext> = {
  id: 'mtu.driver.rx-buffers-fit-mtu',
  title: 'With MTU negotiated the driver posts receive buffers that hold an mtu + 14 frame',
  clauses: ['net.cfg.driver.8'],
  role: 'driver',
  level: 'MUST',
  area: 'mtu',
  applies: { requires: ['VIRTIO_NET_F_MTU'] },
  async run(context) {
    // Jumbo mtus weighted up: they are where big-mode buffers run short.
    const mtu = fc.oneof({ arbitrary: fc.constant(9000), weight: 3 }, { arbitrary: fc.constantFrom(68, 1500, 1501), weight: 1 }, { arbitrary: validMtu(9000), weight: 1 });
    return checkProperty(
      context.config,
      fc.record({ mtu, gso: fc.boolean() }),
      async ({ mtu, gso }) => {
        let decided = false;
        // Both receive modes each run: merged buffers, and small or big ones without MRG_RXBUF.
        for (const merged of [true, false]) {
          const without = [...(merged ? [] : ['VIRTIO_NET_F_MRG_RXBUF']), ...(gso ? [] : ['VIRTIO_NET_F_GUEST_TSO4', 'VIRTIO_NET_F_GUEST_TSO6', 'VIRTIO_NET_F_GUEST_ECN'])];
          // Small rings keep big-mode buffers (up to 17 pages each) within the instrument's memory.
          const { driver, device } = await context.rig(withMtu(mtu, { withoutFeatures: without, queueSize: RX_RING }));
          if ((await driver.probe()).kind !== 'ok' || (await driver.open()).kind !== 'ok') continue;
          if (!hasFeature(device.reference.core.negotiatedFeatures, VIRTIO_NET_F_MTU)) continue;
          await device.wire.inject(broadcastFrame(maxFrame(mtu), 10));
          await driver.poll();
          const net = device.reference.netEvents;
          const tooSmall = net.ofKind('rx-drop').find((d) => d.reason === 'buffer-too-small');
          if (tooSmall !== undefined) {
            violation('net.cfg.driver.8', `a ${maxFrame(mtu)}-byte frame (mtu ${mtu}, ${merged ? 'merged' : 'unmerged'} buffers) found no room: ${tooSmall.message}`, 'receive buffers hold one mtu + 14 frame with its header');
          }
          decided ||= net.ofKind('rx-deliver').some((d) => d.length === maxFrame(mtu));
        }
        if (!decided) throw new Undecided('the frame was delivered in neither receive mode');
      },
      { scale: RIG_SCALE },
    );
  },
};
