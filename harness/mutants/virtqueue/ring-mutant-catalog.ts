/**
 * The catalog of ring-engine mutants: each broken variant with its id, the
 * real bug it imitates, the observer rule (and clause) that must catch it,
 * and a short scenario that exercises the bug. The kill matrix of the ring
 * observers is this list run through the scenario runner.
 *
 * @module
 */

import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { DeviceQueueOptions, DriverQueueOptions, RingFormat } from '../../../reference-impl/virtqueue/index.js';
import type { RingRuleId } from '../../observers/index.js';
import {
  encodeAddStep,
  encodeRingStep,
  type RingConfigChoices,
  type RingDeviceSide,
  type RingDriverSide,
  type RingEngine,
  type RingScenarioConfig,
} from '../../scenarios/ring/index.js';
import { driverEngine, type ReferenceDeviceQueue, wrappedDeviceEngine } from './device-queue-wrapper.js';
import {
  PackedAvailWrapFlipLate,
  PackedDoubleCompletion,
  PackedMissingKick,
  PackedMissingUsedNotification,
  PackedUsedFlagsBeforeLen,
  PackedUsedLenExceedsWritable,
  PackedWrapFlipLate,
} from './packed-ring-mutants.js';
import {
  SplitDescAfterAvailIdx,
  SplitDoubleCompletion,
  SplitEventIdxOffByOne,
  SplitMissingKick,
  SplitMissingUsedNotification,
  SplitUsedIdxBeforeLen,
  SplitUsedIdxWrapsAtFfff,
  SplitUsedLenExceedsWritable,
} from './split-ring-mutants.js';

/** One broken variant of the ring engine. */
export interface RingMutant {
  /** Stable id, `<format>.<bug>`. */
  readonly id: string;
  readonly format: RingFormat;
  /** The side that misbehaves. */
  readonly side: 'driver' | 'device';
  /** What the variant does wrong. */
  readonly bug: string;
  /** The real bug it imitates (linux-driver-facts §5 ids where there is one). */
  readonly imitates: string;
  /** The observer rule that must report it in {@link canonical}. */
  readonly rule: RingRuleId;
  /** The clause that finding must cite. */
  readonly clause: string;
  /** Other rules that may report it first in random scenarios (e.g. a jump too large for the outstanding chains). */
  readonly alsoCaughtBy: readonly RingRuleId[];
  /** The engine with this bug. */
  readonly engine: RingEngine;
  /** A short scenario that exercises the bug. */
  readonly canonical: { readonly config: RingScenarioConfig; readonly steps: readonly number[] };
  /** Configurations for a random search (format and the features the bug needs). */
  readonly search: RingConfigChoices;
}

const single = (outs: number, ins: number) => outs === 0 && ins === 1;
const POP = encodeRingStep('pop', 0);
const POP2 = encodeRingStep('pop', 1);
const NOTIFY = encodeRingStep('notify');
const REAP = encodeRingStep('reap', 8);
/** Push one chain; `c` 1 reports the writable length, 3 half of it. */
const push = (c: number) => encodeRingStep('push', 0, 0, c);

/** `laps` rounds of: add one device-writable buffer and kick, pop, use it, notify, collect. */
function cycle(size: number, laps: number, c = 1): number[] {
  const add = encodeAddStep(1, true, size, single);
  return Array.from({ length: laps }, () => [add, POP, push(c), NOTIFY, REAP]).flat();
}

/** Two buffers made available, both popped, the first used. */
function twoOutstanding(size: number): number[] {
  return [encodeAddStep(2, true, size, single), POP2, push(1), NOTIFY, REAP];
}

const split = (size: number, extra: Partial<RingScenarioConfig> = {}): RingScenarioConfig => ({
  format: 'split',
  size,
  eventIdx: false,
  indirect: false,
  inOrder: false,
  ...extra,
});
const packed = (size: number, extra: Partial<RingScenarioConfig> = {}): RingScenarioConfig => ({ ...split(size, extra), format: 'packed' });

type Wrap = new (inner: ReferenceDeviceQueue, mem: GuestMemory, options: DeviceQueueOptions) => RingDeviceSide;
type Driver = new (mem: GuestMemory, options: DriverQueueOptions) => RingDriverSide;
const device = (id: string, W: Wrap) => wrappedDeviceEngine(id, (inner, mem, o) => new W(inner, mem, o));
const driver = (id: string, D: Driver) => driverEngine(id, (mem, _format, o) => new D(mem, o));

/** Every ring mutant, split first. */
export const RING_MUTANTS: readonly RingMutant[] = Object.freeze([
  {
    id: 'split.used-idx-wraps-at-ffff',
    format: 'split',
    side: 'device',
    bug: 'used->idx kept modulo 0xffff: after 65534 the device publishes 0, a jump of 2 for one used element',
    imitates: 'off-by-one in 16-bit wrap handling (the index-wrap family of D3/D24: CVE-2016-5403, rust-vmm #196)',
    rule: 'ring.split.used-idx-advance',
    clause: 'split.used.device.1',
    alsoCaughtBy: ['ring.split.used-id', 'ring.split.used-len', 'ring.split.in-order-use', 'ring.split.used-entry-unchanged'],
    engine: device('split.used-idx-wraps-at-ffff', SplitUsedIdxWrapsAtFfff),
    canonical: { config: split(4, { initialIndex: 65532 }), steps: cycle(4, 6) },
    search: { format: 'split', initialIndex: 'near-wrap' },
  },
  {
    id: 'split.used-idx-before-len',
    format: 'split',
    side: 'device',
    bug: 'used->idx published while the used element still holds the previous len; the real len is written on the next device action',
    imitates: 'D5 (CVE-2021-3748: data written after the used entry was published)',
    rule: 'ring.split.used-entry-unchanged',
    clause: 'split.used.device.1',
    alsoCaughtBy: [],
    engine: device('split.used-idx-before-len', SplitUsedIdxBeforeLen),
    canonical: { config: split(8), steps: cycle(8, 3) },
    search: { format: 'split' },
  },
  {
    id: 'split.missing-used-notification',
    format: 'split',
    side: 'device',
    bug: 'the device never sends a used-buffer notification',
    imitates: 'D20 (Firecracker #1436: no interrupt for TX used descriptors)',
    rule: 'ring.split.device-notify-flags',
    clause: 'split.usupp.device.3',
    alsoCaughtBy: ['ring.split.device-notify-event-idx'],
    engine: device('split.missing-used-notification', SplitMissingUsedNotification),
    canonical: { config: split(8), steps: cycle(8, 2) },
    search: { format: 'split' },
  },
  {
    id: 'split.event-idx-off-by-one',
    format: 'split',
    side: 'device',
    bug: 'with EVENT_IDX the device tests used_event against (old, new] instead of [old, new), missing the notification the driver asked for at its next used entry',
    imitates: 'a missed interrupt of the D9/D20 family (event-index window off by one)',
    rule: 'ring.split.device-notify-event-idx',
    clause: 'split.usupp.device.5',
    alsoCaughtBy: [],
    engine: device('split.event-idx-off-by-one', SplitEventIdxOffByOne),
    canonical: { config: split(8, { eventIdx: true }), steps: cycle(8, 2) },
    search: { format: 'split', eventIdx: true },
  },
  {
    id: 'split.used-len-exceeds-writable',
    format: 'split',
    side: 'device',
    bug: 'used len one byte more than the chain can take',
    imitates: 'D13 (wrong used.len: vhost-vsock, cloud-hypervisor) and R1 (CVE-2021-47352)',
    rule: 'ring.split.used-len',
    clause: 'split.used.device.2',
    alsoCaughtBy: [],
    engine: device('split.used-len-exceeds-writable', SplitUsedLenExceedsWritable),
    canonical: { config: split(8), steps: cycle(8, 2) },
    search: { format: 'split' },
  },
  {
    id: 'split.double-completion',
    format: 'split',
    side: 'device',
    bug: 'the first chain used after a reset is published in two used elements',
    imitates: 'R13 (drivers trusting used ids: double completion)',
    rule: 'ring.split.used-id',
    clause: 'split.used.device.2',
    alsoCaughtBy: ['ring.split.used-idx-advance'],
    engine: device('split.double-completion', SplitDoubleCompletion),
    canonical: { config: split(8), steps: twoOutstanding(8) },
    search: { format: 'split' },
  },
  {
    id: 'split.missing-kick',
    format: 'split',
    side: 'driver',
    bug: 'the driver never sends an available-buffer notification',
    imitates: 'the driver half of D9/D20 (a lost wake-up)',
    rule: 'ring.split.driver-notify-flags',
    clause: 'split.asupp.driver.4',
    alsoCaughtBy: ['ring.split.driver-notify-event-idx'],
    engine: driver('split.missing-kick', SplitMissingKick),
    canonical: { config: split(8), steps: [encodeAddStep(1, true, 8, single)] },
    search: { format: 'split' },
  },
  {
    id: 'split.desc-after-avail-idx',
    format: 'split',
    side: 'driver',
    bug: 'the head descriptor of a chain is written after avail->idx covers it (a missing write barrier)',
    imitates: 'split.op.driver.4 ordering (R11-style malformed chains seen by the device)',
    rule: 'ring.split.published-unchanged',
    clause: 'split.op.driver.4',
    alsoCaughtBy: [],
    engine: driver('split.desc-after-avail-idx', SplitDescAfterAvailIdx),
    canonical: { config: split(8), steps: [encodeAddStep(1, false, 8, single), encodeAddStep(1, true, 8, single)] },
    search: { format: 'split' },
  },
  {
    id: 'packed.wrap-flip-late',
    format: 'packed',
    side: 'device',
    bug: "after its used position wraps, the device writes the first used descriptor of the new lap with the previous lap's wrap counter",
    imitates: 'off-by-one in wrap handling (a wrap counter flipped one descriptor late)',
    rule: 'ring.packed.used-wrap',
    clause: 'packed.wrap.device.1',
    alsoCaughtBy: [],
    engine: device('packed.wrap-flip-late', PackedWrapFlipLate),
    canonical: { config: packed(2), steps: cycle(2, 4) },
    search: { format: 'packed' },
  },
  {
    id: 'packed.used-flags-before-len',
    format: 'packed',
    side: 'device',
    bug: "the flags that make a descriptor used are written while len still holds the driver's value; the real len lands on the next device action",
    imitates: 'D5 (CVE-2021-3748), packed form',
    rule: 'ring.packed.device-writes-outside',
    clause: 'packed.desc.device.4',
    alsoCaughtBy: ['ring.packed.used-len'],
    engine: device('packed.used-flags-before-len', PackedUsedFlagsBeforeLen),
    canonical: { config: packed(4), steps: cycle(4, 2, 3) },
    search: { format: 'packed' },
  },
  {
    id: 'packed.missing-used-notification',
    format: 'packed',
    side: 'device',
    bug: 'the device never sends a used-buffer notification',
    imitates: 'D20 (Firecracker #1436)',
    rule: 'ring.packed.device-notify',
    clause: 'packed.evsupp.any.1.device',
    alsoCaughtBy: [],
    engine: device('packed.missing-used-notification', PackedMissingUsedNotification),
    canonical: { config: packed(4), steps: cycle(4, 2) },
    search: { format: 'packed' },
  },
  {
    id: 'packed.used-len-exceeds-writable',
    format: 'packed',
    side: 'device',
    bug: 'used len one byte more than the buffer can take',
    imitates: 'D13 and R1',
    rule: 'ring.packed.used-len',
    clause: 'packed.used.device.1',
    alsoCaughtBy: [],
    engine: device('packed.used-len-exceeds-writable', PackedUsedLenExceedsWritable),
    canonical: { config: packed(4), steps: cycle(4, 2) },
    search: { format: 'packed' },
  },
  {
    id: 'packed.double-completion',
    format: 'packed',
    side: 'device',
    bug: 'the first buffer used after a reset gets a second used descriptor at the next used slot',
    imitates: 'R13 (a device completing one buffer twice; RT-Thread #11326 drivers trusted it)',
    rule: 'ring.packed.used-id',
    clause: 'packed.desc.device.3',
    alsoCaughtBy: ['ring.packed.device-writes-outside', 'ring.packed.used-slot', 'ring.packed.used-wrap'],
    engine: device('packed.double-completion', PackedDoubleCompletion),
    canonical: { config: packed(4), steps: twoOutstanding(4) },
    search: { format: 'packed' },
  },
  {
    id: 'packed.missing-kick',
    format: 'packed',
    side: 'driver',
    bug: 'the driver never sends an available-buffer notification',
    imitates: 'the driver half of D9/D20',
    rule: 'ring.packed.driver-notify',
    clause: 'packed.evsupp.any.1.driver',
    alsoCaughtBy: [],
    engine: driver('packed.missing-kick', PackedMissingKick),
    canonical: { config: packed(4), steps: [encodeAddStep(1, true, 4, single)] },
    search: { format: 'packed' },
  },
  {
    id: 'packed.avail-wrap-flip-late',
    format: 'packed',
    side: 'driver',
    bug: "after its position wraps, the driver makes the next buffer available with the previous lap's AVAIL/USED bits",
    imitates: 'off-by-one in wrap handling, driver side',
    rule: 'ring.packed.avail-wrap',
    clause: 'packed.wrap.driver.1',
    alsoCaughtBy: [],
    engine: driver('packed.avail-wrap-flip-late', PackedAvailWrapFlipLate),
    canonical: { config: packed(2), steps: cycle(2, 4) },
    search: { format: 'packed' },
  },
] satisfies RingMutant[]);

/** The mutant with this id. @throws RangeError for an unknown id. */
export function ringMutant(id: string): RingMutant {
  const m = RING_MUTANTS.find((x) => x.id === id);
  if (m === undefined) throw new RangeError(`unknown ring mutant ${id}`);
  return m;
}
