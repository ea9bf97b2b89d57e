/**
 * Register access that records every access in a {@link Trace}, so a failing check's report shows
 * the transport operations that led to it.
 *
 * @module
 */

import type { AccessWidth } from '../../reference-impl/transport/register-access.js';
import type { Trace } from '../checks/trace.js';
import type { DeviceRegisters } from './contract.js';

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

async function traced<T>(trace: Trace, label: string, op: () => T | Promise<T>): Promise<T> {
  const value = await op();
  trace.record(typeof value === 'number' ? `${label} -> ${hex(value)}` : label);
  return value;
}

/** Wraps a device's registers so that every access lands in `trace`. */
export function tracedRegisters(registers: DeviceRegisters, trace: Trace): DeviceRegisters {
  if (registers.transport === 'pci') {
    const inner = registers.access;
    return {
      transport: 'pci',
      access: {
        readConfig: (offset: number, width: AccessWidth) => traced(trace, `pci cfg read${width * 8} ${hex(offset)}`, () => inner.readConfig(offset, width)),
        writeConfig: (offset: number, width: AccessWidth, value: number) =>
          traced(trace, `pci cfg write${width * 8} ${hex(offset)} = ${hex(value)}`, () => inner.writeConfig(offset, width, value)),
        readBar: (bar: number, offset: number, width: AccessWidth) =>
          traced(trace, `bar${bar} read${width * 8} ${hex(offset)}`, () => inner.readBar(bar, offset, width)),
        writeBar: (bar: number, offset: number, width: AccessWidth, value: number) =>
          traced(trace, `bar${bar} write${width * 8} ${hex(offset)} = ${hex(value)}`, () => inner.writeBar(bar, offset, width, value)),
        onInterrupt: (listener) =>
          inner.onInterrupt((interrupt) => {
            trace.record(interrupt.kind === 'msix' ? `msi-x vector ${interrupt.vector}` : `intx ${interrupt.asserted ? 'assert' : 'deassert'}`);
            listener(interrupt);
          }),
      },
    };
  }
  const inner = registers.access;
  return {
    transport: 'mmio',
    access: {
      read: (offset: number, width: AccessWidth) => traced(trace, `mmio read${width * 8} ${hex(offset)}`, () => inner.read(offset, width)),
      write: (offset: number, width: AccessWidth, value: number) =>
        traced(trace, `mmio write${width * 8} ${hex(offset)} = ${hex(value)}`, () => inner.write(offset, width, value)),
      onInterrupt: (listener) =>
        inner.onInterrupt((interrupt) => {
          trace.record(`mmio irq ${interrupt.asserted ? 'assert' : 'deassert'} status=${hex(interrupt.interruptStatus)}`);
          listener(interrupt);
        }),
    },
  };
}
