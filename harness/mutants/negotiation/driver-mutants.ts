/**
 * Driver mutants of the negotiation area: the reference front end taking one wrong step in the
 * initialisation sequence (through the register shim) or writing the config space (through the
 * adapter's `tamper` hook).
 *
 * @module
 */

import { featureWord } from '../../../specs/features/feature-set.js';
import { NET_FEATURES, VIRTIO_NET_F_GUEST_CSUM } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { virtio_net_config } from '../../../specs/net/config.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from '../../../specs/status.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { DriverMutant } from '../mutant.js';
import { type RegisterHooks, shimmedDriverAdapter } from './register-shim.js';

function shimmed(id: string, title: string, killedBy: DriverMutant['killedBy'], hooks: () => RegisterHooks, imitates?: string): DriverMutant {
  return { id, title, role: 'driver', killedBy, adapter: shimmedDriverAdapter(id, hooks), ...(imitates === undefined ? {} : { imitates }) };
}

/** Sets DRIVER before ACKNOWLEDGE (`init.driver.1a`). */
export const driverBeforeAcknowledge = shimmed('driver.negotiation.driver-before-acknowledge', 'sets DRIVER before ACKNOWLEDGE', ['negotiation.driver.init-sequence'], () => ({
  async statusWrite(value, io) {
    if (value === VIRTIO_CONFIG_S_ACKNOWLEDGE) await io.writeStatus(VIRTIO_CONFIG_S_DRIVER);
    await io.writeStatus(value);
  },
}));

/**
 * Holds DRIVER_OK back until the first notification, so the device is kicked before it is live
 * (`init.driver.7`): `ndo_open` running before `virtio_device_ready`.
 */
export const kicksBeforeDriverOk = shimmed(
  'driver.negotiation.kicks-before-driver-ok',
  'notifies a queue before setting DRIVER_OK',
  ['negotiation.driver.init-sequence'],
  () => {
    let held: number | null = null;
    return {
      async statusWrite(value, io) {
        if (value === 0) held = null;
        else if ((value & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && ((await io.readStatus()) & VIRTIO_CONFIG_S_DRIVER_OK) === 0 && held === null) {
          held = value;
          return;
        }
        held = null;
        await io.writeStatus(value);
      },
      statusRead: (value) => (held === null ? value : value | VIRTIO_CONFIG_S_DRIVER_OK),
      async notify(send, io) {
        await send();
        if (held !== null) {
          const value = held;
          held = null;
          await io.writeStatus(value);
        }
      },
    };
  },
  'R7: 50c0ada627f5, ndo_open could run before virtio_device_ready, so the device saw kicks before DRIVER_OK',
);

const NET_BITS = NET_FEATURES.filter((f) => !f.legacyOnly && f.bit < 32).map((f) => f.bit);

/**
 * Writes back, with its first feature word, the lowest net feature the device did not offer
 * (`features.driver.1`). QEMU masks unoffered bits silently (qemu-qtest.md §2.3), so such a
 * driver works there and nobody notices.
 */
export const acceptsUnofferedBit = shimmed(
  'driver.negotiation.accepts-unoffered-bit',
  'adds a net feature the device did not offer',
  ['negotiation.driver.accepts-offered-only'],
  () => ({
    async driverFeatureWrite(select, value, io) {
      if (select !== 0) return io.writeDriverFeatureWord(select, value);
      const offered = featureWord(await io.readDeviceFeatures(), 0);
      const extra = NET_BITS.find((b) => ((offered >>> b) & 1) === 0);
      await io.writeDriverFeatureWord(0, extra === undefined ? value : (value | (1 << extra)) >>> 0);
    },
  }),
  'drivers that trust a device to mask what it did not offer, as QEMU does',
);

/** Leaves GUEST_CSUM out of what it accepts while keeping GUEST_TSO4/6, ECN and UFO (`net.featdep.guest-*.driver`). */
export const dropsGuestCsum = shimmed(
  'driver.negotiation.drops-guest-csum',
  'accepts receive GSO without GUEST_CSUM',
  ['negotiation.driver.feature-dependencies'],
  () => ({
    async driverFeatureWrite(select, value, io) {
      await io.writeDriverFeatureWord(select, select === 0 ? (value & ~(1 << VIRTIO_NET_F_GUEST_CSUM)) >>> 0 : value);
    },
  }),
  'a driver feature table with the GSO bits but not the checksum bit they depend on',
);

/** Never accepts VIRTIO_F_VERSION_1 (`rfb.driver.1`), as a legacy-only driver would on a modern device. */
export const dropsVersion1 = shimmed('driver.negotiation.drops-version-1', 'leaves the offered VERSION_1 out of its features', ['negotiation.driver.accepts-version-1'], () => ({
  async driverFeatureWrite(select, value, io) {
    await io.writeDriverFeatureWord(select, select === 1 ? (value & ~(1 << (VIRTIO_F_VERSION_1 - 32))) >>> 0 : value);
  },
}));

/**
 * Skips the FEATURES_OK re-read: its view of the status always shows FEATURES_OK once written,
 * so a refusal goes unnoticed and the driver carries on (`init.driver.4a`).
 */
export const ignoresRefusal = shimmed(
  'driver.negotiation.ignores-features-ok-refusal',
  'never notices that FEATURES_OK read back clear',
  ['negotiation.driver.features-ok-refused', 'negotiation.driver.sets-failed'],
  () => {
    let wroteFeaturesOk = false;
    return {
      async statusWrite(value, io) {
        if (value === 0) wroteFeaturesOk = false;
        if ((value & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) wroteFeaturesOk = true;
        await io.writeStatus(value);
      },
      statusRead: (value) => (wroteFeaturesOk ? value | VIRTIO_CONFIG_S_FEATURES_OK : value),
    };
  },
  'drivers that write FEATURES_OK and never read the status back (legacy-era init code)',
);

/** Gives up without setting FAILED (`init.driver.5`). */
export const neverSetsFailed = shimmed('driver.negotiation.never-sets-failed', 'never sets FAILED', ['negotiation.driver.sets-failed'], () => ({
  async statusWrite(value, io) {
    if (value !== 0 && (value & ~VIRTIO_CONFIG_S_FAILED) === 0) return;
    await io.writeStatus(value === 0 ? 0 : value & ~VIRTIO_CONFIG_S_FAILED);
  },
}));

/**
 * Writes its features again right after setting FEATURES_OK (`init.driver.4`): Linux writes them
 * twice when validate() clears F_MTU, but before FEATURES_OK; this driver does it after.
 */
export const rewritesFeaturesLate = shimmed(
  'driver.negotiation.rewrites-features-late',
  'writes its feature words again after FEATURES_OK',
  ['negotiation.driver.no-feature-write-after-features-ok'],
  () => {
    const words = new Map<number, number>();
    let done = false;
    return {
      async driverFeatureWrite(select, value, io) {
        words.set(select, value);
        await io.writeDriverFeatureWord(select, value);
      },
      async statusWrite(value, io) {
        await io.writeStatus(value);
        if (value === 0) done = false;
        if ((value & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && !done) {
          done = true;
          for (const [select, word] of words) await io.writeDriverFeatureWord(select, word);
        }
      },
    };
  },
  'D10: Linux writes features twice (before FEATURES_OK); here the second write comes too late',
);

/**
 * Reads max_virtqueue_pairs when it sets DRIVER_OK, whether or not MQ or RSS is offered
 * (`config.driver.3`).
 */
export const readsUnofferedConfig = shimmed(
  'driver.negotiation.reads-max-virtqueue-pairs',
  'reads max_virtqueue_pairs without MQ or RSS',
  ['negotiation.driver.conditional-config-reads'],
  () => ({
    async statusWrite(value, io) {
      await io.writeStatus(value);
      if ((value & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) await io.readConfig(virtio_net_config.fields.max_virtqueue_pairs.offset, 2);
    },
  }),
  'R10: DPDK 6d7740e2c1, max_virtqueue_pairs read without the MQ feature',
);

/**
 * Writes the new MAC into the config space on a MAC change, as Linux does for a legacy device,
 * but without checking VERSION_1 (`net.cfg.driver.1`).
 */
export const writesConfigMac: DriverMutant = {
  id: 'driver.negotiation.writes-config-mac',
  title: 'writes config.mac on a MAC change of a modern device',
  role: 'driver',
  killedBy: ['negotiation.driver.config-read-only'],
  imitates: 'Linux virtnet_set_mac_address legacy path (config writes byte by byte) without its !VERSION_1 guard',
  adapter: referenceDriverAdapter({
    name: 'driver.negotiation.writes-config-mac',
    tamper(frontEnd) {
      const set = frontEnd.netdev.setMacAddress.bind(frontEnd.netdev);
      frontEnd.netdev.setMacAddress = async (mac) => {
        for (let i = 0; i < 6; i++) await frontEnd.vdev.cwrite(virtio_net_config.fields.mac.offset + i, 1, mac[i] ?? 0);
        return set(mac);
      };
    },
  }),
};

/** Every driver mutant of this area. */
export const driverMutants: readonly DriverMutant[] = [
  driverBeforeAcknowledge,
  kicksBeforeDriverOk,
  acceptsUnofferedBit,
  dropsGuestCsum,
  dropsVersion1,
  ignoresRefusal,
  neverSetsFailed,
  rewritesFeaturesLate,
  readsUnofferedConfig,
  writesConfigMac,
];
