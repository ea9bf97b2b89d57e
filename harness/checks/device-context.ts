/**
 * Builds device-side check contexts from a device adapter: every device a check asks for is
 * created with the run's transport, has its registers traced, and is closed when the check ends.
 *
 * @module
 */

import type { DeviceAdapter, DeviceUnderTest } from '../adapters/contract.js';
import { tracedRegisters } from '../adapters/tracing.js';
import { NotApplicable, type DeviceCheckContext, type RunConfig } from './context.js';
import type { ContextLease } from './runner.js';
import type { Trace } from './trace.js';

/** A lease factory for {@link runCheck} over `adapter`. */
export function deviceContext(adapter: DeviceAdapter, config: RunConfig): (trace: Trace) => ContextLease<DeviceCheckContext> {
  return (trace) => {
    const open: DeviceUnderTest[] = [];
    const context: DeviceCheckContext = {
      config,
      trace,
      async device(request = {}) {
        if (!adapter.transports.includes(config.transport)) {
          throw new NotApplicable(`adapter '${adapter.name}' does not provide the ${config.transport} transport`);
        }
        const extra = config.features ?? [];
        const created = await adapter.create({
          ...request,
          transport: config.transport,
          ...(extra.length > 0 ? { addFeatures: [...(request.addFeatures ?? []), ...extra] } : {}),
        });
        if (created.kind === 'unsupported') throw new NotApplicable(`adapter '${adapter.name}' cannot provide this device: ${created.reason}`);
        open.push(created.device);
        trace.record(`device created (${adapter.name}, ${config.transport})`);
        return { ...created.device, registers: tracedRegisters(created.device.registers, trace) };
      },
    };
    return {
      context,
      async release() {
        for (const device of open.splice(0)) await device.close();
      },
    };
  };
}
