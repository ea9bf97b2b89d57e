/**
 * What the runner attaches to a queue besides the engine: the ring observer
 * (built over its own reader, per the observers' contract) and a probe that
 * reads ring memory for coverage counters only, never for decisions.
 *
 * @module
 */

import {
  pvirtq_event_suppress,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_MASK,
  virtq_used,
  virtqAvailUsedEventOffset,
  virtqUsedAvailEventOffset,
} from '../../../specs/virtqueue/index.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { VirtqueueLayout } from '../../../reference-impl/virtqueue/index.js';
import { type MemoryReader, PackedRingObserver, SplitRingObserver } from '../../observers/index.js';
import { type RingScenarioConfig, ringScenarioFeatures } from './ring-config.js';
import type { RingDriverSide } from './ring-engine.js';

/** The observer for a configuration's queue, attached at queue enable (queue index 0). */
export function createRingObserver(
  reader: MemoryReader,
  c: RingScenarioConfig,
  l: VirtqueueLayout,
  checkReadOnlyBuffers = true,
): SplitRingObserver | PackedRingObserver {
  const common = { queue: 0, size: c.size, features: ringScenarioFeatures(c), descAddr: l.descAddr, checkReadOnlyBuffers };
  return c.format === 'split'
    ? new SplitRingObserver(reader, { ...common, availAddr: l.driverAddr, usedAddr: l.deviceAddr })
    : new PackedRingObserver(reader, { ...common, driverEventAddr: l.driverAddr, deviceEventAddr: l.deviceAddr });
}

/** Whether an event index sits on the edge of the window [from, to) of a 16-bit index: at from, to − 1 or to. */
export function onWindowEdge(event: number, from: number, to: number): boolean {
  return event === from || event === ((to - 1) & 0xffff) || event === to;
}

/** Coverage reads of one queue's ring memory. */
export class RingProbe {
  constructor(
    private readonly mem: GuestMemory,
    private readonly config: RingScenarioConfig,
    private readonly layout: VirtqueueLayout,
  ) {}

  /** The driver's position: split `avail->idx`, packed `slot | wrap << 15`. */
  driverPosition(d: RingDriverSide): number {
    return d.format === 'split' ? d.availIdx : d.availPosition;
  }

  /** Split: `avail->idx` (a decrease is a wrap). Packed: the driver's wrap counter (a change is a flip). */
  wrapMark(d: RingDriverSide): number {
    return d.format === 'split' ? d.availIdx : d.availPosition >>> 15;
  }

  /** Split `used->idx` (0 for packed rings). */
  usedIdx(): number {
    return this.config.format === 'split' ? this.mem.read16(this.layout.deviceAddr + virtq_used.fields.idx.offset) : 0;
  }

  /** Split: `avail_event` on the edge of the kick window. Packed: the event slot at the window's start or end. */
  kickEventOnEdge(from: number, to: number): boolean {
    const l = this.layout;
    if (this.config.format === 'split') return onWindowEdge(this.mem.read16(l.deviceAddr + virtqUsedAvailEventOffset(this.config.size)), from, to);
    const off = this.mem.read16(l.deviceAddr + pvirtq_event_suppress.fields.desc.offset) & 0x7fff;
    return off === (from & 0x7fff) || off === (to & 0x7fff);
  }

  /** Split: `used_event` on the edge of the notification window from `from`. Packed: the driver asks by descriptor. */
  notifyEventOnEdge(from: number): boolean {
    const l = this.layout;
    if (this.config.format === 'split') return onWindowEdge(this.mem.read16(l.driverAddr + virtqAvailUsedEventOffset(this.config.size)), from, this.usedIdx());
    return (this.mem.read16(l.driverAddr + pvirtq_event_suppress.fields.flags.offset) & RING_EVENT_FLAGS_MASK) === RING_EVENT_FLAGS_DESC;
  }
}
