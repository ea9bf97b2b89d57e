/**
 * Driver mutant for `status.driver.3`: the reference front end starting a new initialisation on a
 * device it left FAILED without resetting it first (through the register shim).
 *
 * @module
 */

import { VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import type { DriverMutant } from '../mutant.js';
import { shimmedDriverAdapter } from './register-shim.js';

/**
 * Drops the reset write when the device shows FAILED and answers the reset poll with 0, so the
 * front end believes it reset the device and writes ACKNOWLEDGE on top of FAILED.
 */
export const retriesWithoutReset: DriverMutant = {
  id: 'driver.negotiation.retries-without-reset',
  title: 'starts a new initialisation on a FAILED device without resetting it',
  role: 'driver',
  killedBy: ['negotiation.driver.resets-after-failed'],
  imitates: 'a re-probe that trusts the device to be fresh after a failed bind',
  adapter: shimmedDriverAdapter('driver.negotiation.retries-without-reset', () => {
    let pretendReset = false;
    return {
      async statusWrite(value, io) {
        if (value === 0 && ((await io.readStatus()) & VIRTIO_CONFIG_S_FAILED) !== 0) {
          pretendReset = true;
          return;
        }
        pretendReset = false;
        await io.writeStatus(value);
      },
      statusRead: (value) => (pretendReset ? 0 : value),
    };
  }),
};

/**
 * Trusts its own FEATURES_OK write instead of reading it back: status reads show FEATURES_OK from
 * the moment it was written, so a refused subset goes on to queue setup and DRIVER_OK
 * (`features.driver.6`).
 */
export const continuesAfterRefusal: DriverMutant = {
  id: 'driver.negotiation.continues-after-refusal',
  title: 'goes on initialising after the device refused its subset',
  role: 'driver',
  killedBy: ['negotiation.driver.fails-on-refusal'],
  imitates: 'a driver that skips the FEATURES_OK re-read (legacy-style init)',
  adapter: shimmedDriverAdapter('driver.negotiation.continues-after-refusal', () => {
    let wrote = false;
    return {
      async statusWrite(value, io) {
        wrote = value !== 0 && (wrote || (value & VIRTIO_CONFIG_S_FEATURES_OK) !== 0);
        await io.writeStatus(value);
      },
      statusRead: (value) => (wrote ? value | VIRTIO_CONFIG_S_FEATURES_OK : value),
    };
  }),
};
