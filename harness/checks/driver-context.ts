/**
 * Builds driver-side check contexts: the driver under test is bound to a fresh reference device —
 * the harness's instrument — over traced registers and the device's guest memory. Checks then read
 * the instrument's event log, wire and ring memory to judge the driver.
 *
 * @module
 */

import type { DriverAdapter, DriverUnderTest } from '../adapters/contract.js';
import { referenceDeviceAdapter, type ReferenceDeviceUnderTest } from '../adapters/reference-device.js';
import { tracedRegisters } from '../adapters/tracing.js';
import { NotApplicable, type DriverCheckContext, type RunConfig } from './context.js';
import type { ContextLease } from './runner.js';
import type { Trace } from './trace.js';

const instrument = referenceDeviceAdapter({ name: 'instrument' });

/** A lease factory for {@link runCheck} over a driver adapter. */
export function driverContext(adapter: DriverAdapter, config: RunConfig): (trace: Trace) => ContextLease<DriverCheckContext> {
  return (trace) => {
    const bound: { driver: DriverUnderTest; device: ReferenceDeviceUnderTest }[] = [];
    const context: DriverCheckContext = {
      config,
      trace,
      async rig(request = {}) {
        if (!adapter.transports.includes(config.transport)) {
          throw new NotApplicable(`driver adapter '${adapter.name}' does not support the ${config.transport} transport`);
        }
        // The instrument offers exactly the ring format under test, so the driver has no choice.
        const created = await instrument.create({
          ...request,
          transport: config.transport,
          ...(config.ring === 'packed'
            ? { addFeatures: [...(request.addFeatures ?? []), 'VIRTIO_F_RING_PACKED'] }
            : { withoutFeatures: [...(request.withoutFeatures ?? []), 'VIRTIO_F_RING_PACKED'] }),
        });
        if (created.kind === 'unsupported') throw new NotApplicable(`the reference device cannot be configured so: ${created.reason}`);
        const device = created.device as ReferenceDeviceUnderTest;
        const driver = await adapter.bind({
          registers: tracedRegisters(device.registers, trace),
          memory: device.memory.view,
          allocator: device.memory.allocator,
        });
        bound.push({ driver, device });
        trace.record(`driver '${adapter.name}' bound to the reference device (${config.transport}, ${config.ring})`);
        return { driver, device };
      },
    };
    return {
      context,
      async release() {
        for (const { device } of bound.splice(0)) await device.close();
      },
    };
  };
}
