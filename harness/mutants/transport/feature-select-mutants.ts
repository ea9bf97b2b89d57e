/**
 * Driver mutant for the MMIO feature selectors (`mmio.reg.driver.12`, `mmio.reg.driver.13`): the
 * reference front end behind an MMIO shim that caches selector values.
 *
 * @module
 */

import { VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES_SEL } from '../../../specs/transport/mmio.js';
import type { DriverMutant } from '../mutant.js';
import { type MmioShim, shimmedDriver } from './driver-shim.js';

/**
 * Skips a selector write that would not change the value it believes the selector holds, starting
 * from the reset value 0: after a device reset the first write of 0 is dropped, and the feature
 * word access that follows relies on the selector's reset value.
 */
const cachedSelectors = (selectors: readonly number[]) => (): MmioShim => {
  const believed = new Map<number, number>(selectors.map((sel) => [sel, 0]));
  return {
    async write(offset, width, value, next) {
      if (believed.has(offset)) {
        if (believed.get(offset) === value >>> 0) return;
        believed.set(offset, value >>> 0);
      }
      await next.write(offset, width, value);
    },
  };
};

/** See {@link cachedSelectors}. */
export const mmioCachedFeatureSelectors: DriverMutant = {
  id: 'driver.transport.mmio-cached-feature-selectors',
  title: 'MMIO: skips feature selector writes it believes redundant',
  imitates: 'a driver that shadows DeviceFeaturesSel/DriverFeaturesSel and relies on their reset value',
  killedBy: ['transport.driver.mmio-feature-select'],
  transport: 'mmio',
  role: 'driver',
  adapter: shimmedDriver('driver.transport.mmio-cached-feature-selectors', { mmio: cachedSelectors([VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES_SEL]) }),
};

/** {@link cachedSelectors} for DriverFeaturesSel only, so the DriverFeatures half of the check is proven to bite on its own. */
export const mmioCachedDriverFeaturesSelector: DriverMutant = {
  id: 'driver.transport.mmio-cached-driver-features-selector',
  title: 'MMIO: skips DriverFeaturesSel writes it believes redundant',
  imitates: 'a driver that shadows DriverFeaturesSel and relies on its reset value',
  killedBy: ['transport.driver.mmio-feature-select'],
  transport: 'mmio',
  role: 'driver',
  adapter: shimmedDriver('driver.transport.mmio-cached-driver-features-selector', { mmio: cachedSelectors([VIRTIO_MMIO_DRIVER_FEATURES_SEL]) }),
};
