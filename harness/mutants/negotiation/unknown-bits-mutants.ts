/**
 * Driver mutant for `features.driver.7`: the reference front end refusing a device that offers a
 * feature bit no spec revision defines.
 *
 * @module
 */

import { FEATURES, featureBits } from '../../../specs/features/feature-set.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { DriverMutant } from '../mutant.js';

/** Linux EINVAL. */
const EINVAL = 22;

const DEFINED = new Set(FEATURES.map((f) => f.bit));

/**
 * Refuses to bring the interface up (`ndo_open` returns -EINVAL) when the device offers any bit
 * outside the feature table, instead of ignoring what it does not know. (The adapter's `tamper`
 * hook runs after the probe, so the refusal sits in the first step after it.)
 */
export const refusesUnknownBits: DriverMutant = {
  id: 'driver.negotiation.refuses-unknown-bits',
  title: 'refuses to open a device that offers an unknown feature bit',
  role: 'driver',
  killedBy: ['negotiation.driver.tolerates-unknown-bits'],
  imitates: 'a driver that treats an offer it does not fully understand as a device it cannot drive',
  adapter: referenceDriverAdapter({
    name: 'driver.negotiation.refuses-unknown-bits',
    tamper(frontEnd) {
      const netdev = frontEnd.netdev;
      const open = netdev.open.bind(netdev);
      netdev.open = async () => {
        const unknown = featureBits(frontEnd.vdev.deviceFeatures).filter((bit) => !DEFINED.has(bit));
        return unknown.length > 0 ? -EINVAL : open();
      };
    },
  }),
};
