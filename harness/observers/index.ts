/**
 * Ring observers: independent watchers of split and packed virtqueues in
 * guest memory that report clause violations by the device or the driver.
 *
 * @module
 */

export { ByteMemoryReader, DIGEST_SEED, digestRange, readU64, type MemoryReader } from './memory-reader.js';
export type { RingActor, RingFinding, RingObserverDesync, RingViolation } from './ring-finding.js';
export { RING_OBSERVER_RULES, ringRule, type RingFormat, type RingRule, type RingRuleHook, type RingRuleId } from './ring-rules.js';
export { eventInWindow16, packedEventInWindow, wrapAt, type RingObserver, type RingObserverCommonOptions } from './ring-observer.js';
export { SplitRingObserver, type SplitRingObserverOptions } from './split-observer.js';
export { PackedRingObserver, type PackedRingObserverOptions } from './packed-observer.js';
