/**
 * The harness's own low-level driver for device-side checks: the reference front end's transport
 * drivers (PCI modern or MMIO) bound to a device under test, so a check can take each step of
 * initialisation by hand — including the steps a conformant driver would never take.
 *
 * @module
 */

import type { VirtioConfigOps } from '../../reference-impl/frontend/virtio/virtio-config-ops.js';
import { VirtioMmioTransport } from '../../reference-impl/frontend/virtio/virtio-mmio.js';
import { VirtioPciModernTransport } from '../../reference-impl/frontend/virtio/virtio-pci-modern.js';
import type { DeviceUnderTest } from '../adapters/contract.js';

/** A transport driver bound to a device under test, or why it could not bind. */
export type TransportDriverResult =
  | { readonly kind: 'bound'; readonly ops: VirtioConfigOps }
  | { readonly kind: 'probe-failed'; readonly code: string; readonly message: string; readonly clauses: readonly string[] };

/**
 * Probes the device's transport (PCI capability walk or MMIO magic/version/ID) and returns the
 * transport driver. A probe failure is a finding about the device's transport, not a crash.
 */
export async function bindTransportDriver(device: DeviceUnderTest): Promise<TransportDriverResult> {
  const options = { memory: device.memory.view, allocator: device.memory.allocator };
  const result =
    device.registers.transport === 'pci'
      ? await VirtioPciModernTransport.probe(device.registers.access, options)
      : await VirtioMmioTransport.probe(device.registers.access, options);
  if (result.kind === 'ok') return { kind: 'bound', ops: result.value };
  return { kind: 'probe-failed', code: result.code, message: result.message, clauses: result.clauses };
}
