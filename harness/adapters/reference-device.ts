/**
 * The built-in device adapter: the reference virtio-net device, in process. Mutant devices are
 * built from the same adapter with a `tamper` hook, so a mutant differs from the reference in
 * exactly the rule it breaks.
 *
 * @module
 */

import { GuestAllocator, GuestMemory } from '../../reference-impl/memory/guest-memory.js';
import type { NetDeviceConfigInput } from '../../reference-impl/net/device-config.js';
import type { NetControlFactory } from '../../reference-impl/net/control-port.js';
import { createReferenceNetDevice, type ReferenceNetDevice } from '../../reference-impl/net/reference-net-device.js';
import {
  ADAPTER_CONTRACT_VERSION,
  type DeviceAdapter,
  type DeviceCreateResult,
  type DeviceRequest,
  type DeviceUnderTest,
  type GuestMemoryPort,
  type WireFrame,
} from './contract.js';

/** Options of {@link referenceDeviceAdapter}. */
export interface ReferenceDeviceAdapterOptions {
  /** Adapter name in reports. @default 'reference' */
  readonly name?: string;
  /** Guest memory size in bytes. @default 4 MiB */
  readonly memorySize?: number;
  /** Extra device configuration merged over what the request asks for. */
  readonly config?: NetDeviceConfigInput;
  /** Control-state factory (a mutant may break command handling here). */
  readonly control?: NetControlFactory;
  /** Called once the device exists, before any driver touches it: where a mutant breaks a rule. */
  readonly tamper?: (device: ReferenceNetDevice<'pci' | 'mmio'>) => void;
}

/** The address where harness allocations start, so that address 0 is never a valid buffer. */
const ALLOCATION_BASE = 0x1000;

/** The in-process memory port: the device reads and writes the same bytes, so sync is a no-op. */
export function inProcessMemory(memory: GuestMemory): GuestMemoryPort {
  return { view: memory, allocator: new GuestAllocator(memory, ALLOCATION_BASE), push() {}, pull() {} };
}

function configFor(request: DeviceRequest, extra: NetDeviceConfigInput | undefined): NetDeviceConfigInput {
  const base: Record<string, unknown> = {};
  if (request.features !== undefined) base['features'] = [...request.features];
  if (request.addFeatures !== undefined) base['addFeatures'] = [...request.addFeatures];
  if (request.withoutFeatures !== undefined) base['removeFeatures'] = [...request.withoutFeatures];
  if (request.mac !== undefined) base['mac'] = request.mac;
  if (request.mtu !== undefined) base['mtu'] = request.mtu;
  if (request.maxVirtqueuePairs !== undefined) base['maxVirtqueuePairs'] = request.maxVirtqueuePairs;
  if (request.linkUp !== undefined) base['linkUp'] = request.linkUp;
  if (request.queueSize !== undefined) base['queueSizes'] = { rx: request.queueSize, tx: request.queueSize, ctrl: Math.min(64, request.queueSize) };
  return { ...(base as NetDeviceConfigInput), ...extra };
}

/**
 * A device under test backed by the reference device. `reference` exposes the device's internals
 * to harness-side tests (never to checks, which see only the contract).
 */
export interface ReferenceDeviceUnderTest extends DeviceUnderTest {
  readonly reference: ReferenceNetDevice<'pci' | 'mmio'>;
}

/** Builds the reference device adapter (or, with `tamper`, a mutant of it). */
export function referenceDeviceAdapter(options: ReferenceDeviceAdapterOptions = {}): DeviceAdapter {
  return {
    kind: 'device',
    name: options.name ?? 'reference',
    contractVersion: ADAPTER_CONTRACT_VERSION,
    transports: ['pci', 'mmio'],
    create(request: DeviceRequest): DeviceCreateResult {
      const memory = new GuestMemory(options.memorySize ?? 4 << 20);
      const created = createReferenceNetDevice(configFor(request, options.config), {
        transport: request.transport,
        memory,
        ...(options.control === undefined ? {} : { control: options.control }),
      });
      if (created.kind === 'refused') {
        return { kind: 'unsupported', reason: created.issues.map((i) => `${i.path}: ${i.message}${i.clause ? ` (${i.clause})` : ''}`).join('; ') };
      }
      const reference = created.device;
      options.tamper?.(reference);
      const registers =
        reference.transport === 'pci'
          ? ({ transport: 'pci', access: reference.registers } as const)
          : ({ transport: 'mmio', access: reference.registers } as const);
      const device: ReferenceDeviceUnderTest = {
        reference,
        registers: registers as DeviceUnderTest['registers'],
        memory: inProcessMemory(memory),
        wire: {
          inject(frame) {
            reference.wire.inject(frame);
          },
          drain(): readonly WireFrame[] {
            return reference.wire.take().map((record) => ({ bytes: record.frame }));
          },
        },
        close() {},
      };
      return { kind: 'created', device };
    },
  };
}
