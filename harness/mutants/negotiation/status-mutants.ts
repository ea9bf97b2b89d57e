/**
 * Device mutants for the status clauses around DRIVER_OK: a device that fails silently after
 * DRIVER_OK (`status.device.3`) and one that starts serving its queues before DRIVER_OK
 * (`status.device.1`), each through the reference adapter's `tamper` hook.
 *
 * @module
 */

import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceMutant } from '../mutant.js';

type Device = ReferenceNetDevice<'pci' | 'mmio'>;

/** The core's private state the mutants set behind the status machine's back. */
interface CoreInternals {
  statusValue: number;
  activated: boolean;
}

function internals(device: Device): CoreInternals {
  return device.core as unknown as CoreInternals;
}

/**
 * Sets DEVICE_NEEDS_RESET on a ring error but raises no configuration change interrupt, so a
 * driver that does not poll status never learns the device stopped (`status.device.3`).
 */
export const silentNeedsReset: DeviceMutant = {
  id: 'device.negotiation.silent-needs-reset',
  title: 'sets DEVICE_NEEDS_RESET after DRIVER_OK without a configuration change notification',
  role: 'device',
  killedBy: ['negotiation.device.needs-reset-notifies'],
  imitates: 'R4 (a broken device the driver waited on forever): here the device does flag the failure, but tells nobody',
  adapter: referenceDeviceAdapter({
    name: 'device.negotiation.silent-needs-reset',
    tamper(device) {
      const context = device.core.context;
      context.fail = () => {
        internals(device).statusValue |= VIRTIO_CONFIG_S_NEEDS_RESET;
      };
    },
  }),
};

/**
 * Starts a queue on its first notification, DRIVER_OK or not (`status.device.1`): the device
 * goes live as soon as the driver kicks an enabled queue.
 */
export const liveOnFirstKick: DeviceMutant = {
  id: 'device.negotiation.live-on-first-kick',
  title: 'starts serving its queues at the first notification, before DRIVER_OK',
  role: 'device',
  killedBy: ['negotiation.device.idle-before-driver-ok'],
  imitates: 'a device that treats a queue kick as the start signal instead of DRIVER_OK',
  adapter: referenceDeviceAdapter({
    name: 'device.negotiation.live-on-first-kick',
    tamper(device) {
      const core = device.core;
      const notify = core.notify.bind(core);
      core.notify = (queue, data) => {
        const state = internals(device);
        if ((state.statusValue & VIRTIO_CONFIG_S_DRIVER_OK) === 0 && !state.activated && core.queueRegisters.buildEnabled()) {
          state.activated = true;
          core.backend.activate(core.context);
        }
        if (state.activated && (state.statusValue & VIRTIO_CONFIG_S_DRIVER_OK) === 0) {
          core.backend.notify(queue, data >>> 0);
          return;
        }
        notify(queue, data);
      };
    },
  }),
};

/** The mutants of this module. */
export const statusMutants: readonly DeviceMutant[] = [silentNeedsReset, liveOnFirstKick];
