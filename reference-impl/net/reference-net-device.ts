/**
 * The assembled reference net device: a validated configuration, the net
 * device type, the virtio core and one transport model, sharing one event
 * log. A test or the harness adapter gets the register window to drive
 * (PCI or MMIO), the wire, the counters and the logs, and nothing else it
 * would need to reach into.
 *
 * @module
 */

import type { DeviceCounters } from '../device/events.js';
import { DeviceEventLog } from '../device/events.js';
import { VirtioDevice, type VirtioDeviceOptions } from '../device/virtio-device.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { VirtioMmio, type VirtioMmioOptions } from '../transport/mmio.js';
import { VirtioPciModern, type VirtioPciModernOptions } from '../transport/pci-modern.js';
import type { NetControlFactory } from './control-port.js';
import type { NetCounters } from './counters.js';
import { type NetConfigIssue, type NetDeviceConfig, parseNetDeviceConfig } from './device-config.js';
import { NetEventLog } from './net-events.js';
import { VirtioNetDevice } from './net-device.js';
import { NetWire } from './wire.js';

/** The transports a reference device can sit behind. */
export type NetTransportKind = 'pci' | 'mmio';

/** Options of {@link createReferenceNetDevice}. */
export interface ReferenceNetDeviceOptions<T extends NetTransportKind> {
  /** Which register model fronts the device. */
  readonly transport: T;
  /** Guest memory the rings and buffers live in. */
  readonly memory: GuestMemory;
  /** PCI model options (ignored for MMIO). */
  readonly pci?: VirtioPciModernOptions;
  /** MMIO model options (ignored for PCI). */
  readonly mmio?: VirtioMmioOptions;
  /** Core options other than the feature policy, which comes from the config. */
  readonly core?: Omit<VirtioDeviceOptions, 'featureAcceptance' | 'events'>;
  /** Control state factory. @default referenceControl() */
  readonly control?: NetControlFactory;
  /** Wire to use. @default a new NetWire */
  readonly wire?: NetWire;
}

/** A running reference device. */
export interface ReferenceNetDevice<T extends NetTransportKind> {
  readonly transport: T;
  /** The register window a driver drives: {@link VirtioPciModern} or {@link VirtioMmio}. */
  readonly registers: T extends 'pci' ? VirtioPciModern : VirtioMmio;
  /** The validated configuration. */
  readonly config: NetDeviceConfig;
  /** Warnings about the configuration (SHOULD-level findings). */
  readonly warnings: readonly NetConfigIssue[];
  /** The link. */
  readonly wire: NetWire;
  /** The core's event log: status, features, queues, interrupts, config changes, violations. */
  readonly events: DeviceEventLog;
  /** The core's counters. */
  readonly coreCounters: Readonly<DeviceCounters>;
  /** The net device's counters. */
  readonly counters: Readonly<NetCounters>;
  /** The net device's event log: drops with reasons, deliveries, control commands. */
  readonly netEvents: NetEventLog;
  /** The net device type (link and announce controls, config space, control state). */
  readonly net: VirtioNetDevice;
  /** The core (status, features, generation). */
  readonly core: VirtioDevice;
}

/** Outcome of {@link createReferenceNetDevice}. */
export type CreateNetDeviceResult<T extends NetTransportKind> =
  | { readonly kind: 'created'; readonly device: ReferenceNetDevice<T> }
  | { readonly kind: 'refused'; readonly issues: readonly NetConfigIssue[]; readonly warnings: readonly NetConfigIssue[] };

/**
 * Validates `config` (see `parseNetDeviceConfig`) and builds the device
 * behind the chosen transport; a refused configuration comes back as data
 * with the clause of every refusal.
 */
export function createReferenceNetDevice<T extends NetTransportKind>(
  config: unknown,
  options: ReferenceNetDeviceOptions<T>,
): CreateNetDeviceResult<T> {
  const parsed = parseNetDeviceConfig(config);
  if (parsed.kind === 'refused') return parsed;
  const events = new DeviceEventLog();
  const netEvents = new NetEventLog();
  const wire = options.wire ?? new NetWire();
  const net = new VirtioNetDevice(parsed.config, {
    wire,
    events: netEvents,
    ...(options.control === undefined ? {} : { control: options.control }),
  });
  const core = new VirtioDevice(net, options.memory, { ...options.core, featureAcceptance: parsed.config.featureAcceptance, events });
  const registers = (options.transport === 'pci' ? new VirtioPciModern(core, options.pci) : new VirtioMmio(core, options.mmio)) as T extends 'pci'
    ? VirtioPciModern
    : VirtioMmio;
  return {
    kind: 'created',
    device: {
      transport: options.transport,
      registers,
      config: parsed.config,
      warnings: parsed.warnings,
      wire,
      events,
      coreCounters: core.counters,
      counters: net.counters,
      netEvents,
      net,
      core,
    },
  };
}
