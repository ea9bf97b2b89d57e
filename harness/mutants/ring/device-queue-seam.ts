/**
 * The seam where a device mutant replaces the ring engine of a whole
 * reference device: the device context's `queue(i)`, through which the
 * transmit, receive and control paths reach every device-side queue. A
 * mutant wraps each queue object the core builds (at DRIVER_OK, and again
 * after a queue is re-enabled) with one of the engine-level wrappers of
 * `harness/mutants/virtqueue` or its own, so the device differs from the
 * reference only in the ring rule the wrapper breaks.
 *
 * @module
 */

import type { DeviceQueue } from '../../../reference-impl/device/device-queue.js';
import { ringFlags } from '../../../reference-impl/device/device-queue.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import type { DeviceQueueOptions } from '../../../reference-impl/virtqueue/index.js';
import type { ReferenceDeviceQueue } from '../../mutants/virtqueue/index.js';
import type { RingDeviceSide } from '../../scenarios/ring/index.js';

/** Builds the stand-in for one device queue, or null to leave that queue alone. */
export type DeviceQueueWrap = (inner: ReferenceDeviceQueue, memory: GuestMemory, options: DeviceQueueOptions, queueIndex: number) => RingDeviceSide | null;

/**
 * Makes every device-side queue `device` hands its datapath go through
 * `wrap`. Called from a `referenceDeviceAdapter` tamper hook, before any
 * driver touches the device. One wrapper per queue object, so the datapath
 * sees the same object on every call, as it does with the engine.
 */
export function wrapDeviceQueues(device: ReferenceNetDevice<'pci' | 'mmio'>, wrap: DeviceQueueWrap): void {
  const core = device.core;
  const context = core.context;
  const original = context.queue;
  const wrappers = new WeakMap<DeviceQueue, DeviceQueue>();
  context.queue = (index: number): DeviceQueue | undefined => {
    const inner = original(index);
    if (inner === undefined) return undefined;
    let wrapped = wrappers.get(inner);
    if (wrapped === undefined) {
      const regs = core.queueRegisters.at(index);
      const options: DeviceQueueOptions = {
        size: inner.size,
        descAddr: regs?.areaAddress('desc') ?? 0,
        driverAddr: regs?.areaAddress('driver') ?? 0,
        deviceAddr: regs?.areaAddress('device') ?? 0,
        ...ringFlags(core.negotiatedFeatures),
      };
      // The wrappers implement the datapath's whole use of a queue (pop, push, notifications), not the engine's class.
      wrapped = (wrap(inner, context.memory, options, index) ?? inner) as unknown as DeviceQueue;
      wrappers.set(inner, wrapped);
    }
    return wrapped;
  };
}
