/**
 * The registry of ring observer rules: one entry per check the split and
 * packed observers perform, naming the clauses it enforces, the side it
 * judges, when it applies and how an ambiguous clause is read. The check
 * catalog and the mutant kill-matrix are built from this list.
 *
 * @module
 */

import type { ClauseLevel, ClauseRole } from '../../specs/catalog/schema.js';

/** Ring format a rule watches. */
export type RingFormat = 'split' | 'packed';

/**
 * Where in the observer's hook sequence a rule is evaluated:
 * - `attach`: once, when the observer is built at queue enable;
 * - `checkpoint`: at every look at memory (every hook);
 * - `after-driver-step` / `after-device-step`: only when that side says it
 *   finished a batch (the notification MUSTs);
 * - `driver-notify`: on an available-buffer notification.
 */
export type RingRuleHook = 'attach' | 'checkpoint' | 'after-driver-step' | 'after-device-step' | 'driver-notify';

/** One observer rule. */
export interface RingRule {
  /** Stable rule ID, `ring.<format>.<name>`. */
  readonly id: string;
  /** One-line statement of what is checked. */
  readonly title: string;
  /** Catalog clause IDs the rule enforces; the first is the primary one. */
  readonly clauses: readonly [string, ...string[]];
  /** The side the rule judges. */
  readonly role: ClauseRole;
  /** Level of the primary clause. */
  readonly level: ClauseLevel;
  /** Ring format. */
  readonly format: RingFormat;
  /** Features (spec names) that must be negotiated for the rule to apply. */
  readonly requires: readonly string[];
  /** Features that must not be negotiated for the rule to apply. */
  readonly excludes: readonly string[];
  /** When the rule is evaluated. */
  readonly hook: RingRuleHook;
  /** How an ambiguous or keyword-less clause is read, when that needed a decision. */
  readonly decision?: string;
}

const PACKED = ['VIRTIO_F_RING_PACKED'] as const;
const SPLIT_ONLY = ['VIRTIO_F_RING_PACKED'] as const;

function split<const N extends string>(
  id: N,
  role: ClauseRole,
  level: ClauseLevel,
  clauses: readonly [string, ...string[]],
  title: string,
  extra: Partial<Pick<RingRule, 'requires' | 'excludes' | 'hook' | 'decision'>> = {},
): RingRule & { readonly id: `ring.split.${N}` } {
  return Object.freeze({
    id: `ring.split.${id}` as const,
    title,
    clauses,
    role,
    level,
    format: 'split' as const,
    requires: extra.requires ?? [],
    excludes: [...SPLIT_ONLY, ...(extra.excludes ?? [])],
    hook: extra.hook ?? 'checkpoint',
    ...(extra.decision === undefined ? {} : { decision: extra.decision }),
  });
}

function packed<const N extends string>(
  id: N,
  role: ClauseRole,
  level: ClauseLevel,
  clauses: readonly [string, ...string[]],
  title: string,
  extra: Partial<Pick<RingRule, 'requires' | 'excludes' | 'hook' | 'decision'>> = {},
): RingRule & { readonly id: `ring.packed.${N}` } {
  return Object.freeze({
    id: `ring.packed.${id}` as const,
    title,
    clauses,
    role,
    level,
    format: 'packed' as const,
    requires: [...PACKED, ...(extra.requires ?? [])],
    excludes: extra.excludes ?? [],
    hook: extra.hook ?? 'checkpoint',
    ...(extra.decision === undefined ? {} : { decision: extra.decision }),
  });
}

const NO_KEYWORD_INDIRECT_LEN =
  'The catalog has no clause for the indirect table length: the spec only defines the table as len/16 entries. ' +
  'A length that is zero or not a multiple of 16 leaves a partial entry, so it is reported under the indirect ' +
  'table size clause; the lead may prefer an implied clause.';

const RULES = [
  // ---- split, driver ----
  split('avail-idx-advance', 'driver', 'MUST NOT', ['split.avail.driver.1'], 'avail.idx only moves forward, by at most the free capacity (at most Q chains outstanding).', {
    decision:
      'An advance that would leave more than Q chains outstanding cannot be told from a decrement modulo 2^16; both ' +
      'un-expose buffers the device may still read, so both are reported here.',
  }),
  split('chain-next-in-range', 'driver', 'MUST NOT', ['split.indirect.driver.3', 'split.desc.driver.1'], 'A published head and every next index lie inside the descriptor table (or the indirect table).', {
    decision:
      'No clause names the range of head/next; an index outside the table cannot belong to a chain no longer than ' +
      'the queue size, so the chain-length clause is cited.',
  }),
  split('chain-no-loop', 'driver', 'MUST NOT', ['split.desc.driver.1'], 'A chain has no loop and its total length is below 2^32 bytes.'),
  split('chain-length', 'driver', 'MUST NOT', ['split.indirect.driver.3'], 'A chain, indirect entries included, has at most Q buffer descriptors.', {
    decision: 'The descriptor that points at an indirect table is not counted, only descriptors naming buffers (as QEMU counts), so a full-size indirect table is accepted.',
  }),
  split('readable-before-writable', 'driver', 'MUST', ['framing.driver.1'], 'Device-readable descriptors come before device-writable ones in a chain.'),
  split('indirect-negotiated', 'driver', 'MUST NOT', ['split.indirect.driver.1'], 'INDIRECT is set only when VIRTIO_F_INDIRECT_DESC was negotiated.', {
    excludes: ['VIRTIO_F_INDIRECT_DESC'],
  }),
  split('indirect-no-next', 'driver', 'MUST NOT', ['split.indirect.driver.4'], 'No descriptor has both INDIRECT and NEXT.', { requires: ['VIRTIO_F_INDIRECT_DESC'] }),
  split('indirect-not-nested', 'driver', 'MUST NOT', ['split.indirect.driver.2'], 'No INDIRECT flag inside an indirect table.', { requires: ['VIRTIO_F_INDIRECT_DESC'] }),
  split('indirect-table-len', 'driver', 'MUST NOT', ['split.indirect.driver.3'], 'An indirect table length is a non-zero multiple of 16.', {
    requires: ['VIRTIO_F_INDIRECT_DESC'],
    decision: NO_KEYWORD_INDIRECT_LEN,
  }),
  split('in-order-next', 'driver', 'MUST', ['split.desc.driver.2', 'split.indirect.driver.5'], 'With IN_ORDER, next is x+1 (0 after Q-1) in the table and 1, 2, ... in an indirect table.', {
    requires: ['VIRTIO_F_IN_ORDER'],
  }),
  split('published-unchanged', 'driver', 'MUST', ['split.op.driver.4', 'split.avail.driver.1'], 'Descriptors, indirect tables and avail slots covered by avail.idx are not changed while the device may still read them.', {
    decision:
      'Observed at checkpoints: a chain whose descriptors change after avail.idx covered them was published before ' +
      'it was written (split.op.driver.4) or changed after exposure (un-exposing, split.avail.driver.1). An avail ' +
      'slot is protected until a chain published at or after it has been used (the device reads avail entries in ' +
      'order, so it has read the slot by then). Call checkpoint("driver") after single writes to see the order of ' +
      'writes inside one driver step.',
  }),
  split('avail-flags', 'driver', 'MUST', ['split.usupp.driver.1', 'split.usupp.driver.3'], 'avail.flags is 0 or 1 without EVENT_IDX and 0 with it.'),
  split('used-flags-zeroed', 'driver', 'MUST', ['split.asupp.driver.1'], 'used.flags is 0 when the queue is enabled.', { hook: 'attach' }),
  split('driver-notify-flags', 'driver', 'MUST', ['split.asupp.driver.4', 'split.asupp.driver.2'], 'Without EVENT_IDX, a driver step that advanced avail.idx while used.flags was 0 ends with a notification sent after the advance.', {
    excludes: ['VIRTIO_F_EVENT_IDX'],
    hook: 'after-driver-step',
    decision:
      'Only used.flags == 0 demands a kick; NO_NOTIFY is a hint, so a kick despite it is accepted, as is a kick ' +
      'with nothing new. avail_event is ignored (split.asupp.driver.2).',
  }),
  split('driver-notify-event-idx', 'driver', 'MUST', ['split.asupp.driver.6', 'split.asupp.driver.5'], 'With EVENT_IDX, a driver step whose avail.idx advance passed avail_event ends with a notification sent after the advance.', {
    requires: ['VIRTIO_F_EVENT_IDX'],
    hook: 'after-driver-step',
    decision:
      'The window runs from avail.idx at the last notification or driver step to its value now; avail_event in ' +
      '[old, new) modulo 2^16 demands a kick. used.flags bit 0 is ignored (split.asupp.driver.5).',
  }),
  // ---- split, device ----
  split('used-idx-advance', 'device', 'MUST', ['split.used.device.1'], 'used.idx advances by at most the number of outstanding chains.', {
    decision: 'An advance past the outstanding chains publishes used entries whose len was never set for any chain.',
  }),
  split('used-id', 'device', 'MUST', ['split.used.device.2'], 'A used id is the head of an outstanding chain, and each chain is used once.', {
    decision:
      'The spec states it without a keyword (2.7.8: id is the head of the chain placed in the available ring); the ' +
      'len clause presupposes it, since len bytes are written to the chain id names.',
  }),
  split('used-len', 'device', 'MUST', ['split.used.device.2', 'split.used.device.3'], 'used len is at most the writable bytes of the chain.', {
    decision: 'len may under-report (split.used.device.3); only len greater than the writable total is a violation.',
  }),
  split('used-entry-unchanged', 'device', 'MUST', ['split.used.device.1'], 'A used entry covered by used.idx keeps its id and len until its slot can take a new entry.', {
    decision:
      'A slot is open for a new entry only when an outstanding chain could land there (entry + Q < used.idx + ' +
      'outstanding); a change elsewhere means len or id were written after used.idx published them.',
  }),
  split('in-order-use', 'device', 'MUST', ['rfb.device.5'], 'With IN_ORDER, buffers are used in the order they were made available.', {
    requires: ['VIRTIO_F_IN_ORDER'],
    decision:
      'A single entry naming a later chain completes the batch of all earlier outstanding chains (2.7.9) and used.idx ' +
      'must cover the batch; len is checked against the named chain only.',
  }),
  split('device-readonly-buffers', 'device', 'MUST NOT', ['split.desc.device.1'], 'The device does not write device-readable buffers or indirect tables of outstanding chains.'),
  split('device-ring-readonly', 'device', 'MUST NOT', ['split.desc.device.4'], 'The device does not write the descriptor table or the available ring.', {
    decision:
      'The available ring has no device clause of its own (2.7.6 says it is only written by the driver); device ' +
      'writes to it are reported under the descriptor table clause.',
  }),
  split('used-flags', 'device', 'MUST', ['split.asupp.device.1', 'split.asupp.device.3'], 'used.flags is 0 or 1 without EVENT_IDX and 0 with it.'),
  split('device-notify-flags', 'device', 'MUST', ['split.usupp.device.3', 'split.usupp.device.1'], 'Without EVENT_IDX, a device step that advanced used.idx while avail.flags was 0 ends with a used-buffer notification sent after the advance.', {
    excludes: ['VIRTIO_F_EVENT_IDX'],
    hook: 'after-device-step',
    decision:
      'Only avail.flags == 0 demands a notification; NO_INTERRUPT is a hint and spurious notifications are allowed. ' +
      'One notification may cover a batch. used_event is ignored (split.usupp.device.1).',
  }),
  split('device-notify-event-idx', 'device', 'MUST', ['split.usupp.device.5', 'split.usupp.device.4'], 'With EVENT_IDX, a device step whose used.idx advance passed used_event ends with a used-buffer notification sent after the advance.', {
    requires: ['VIRTIO_F_EVENT_IDX'],
    hook: 'after-device-step',
    decision: 'used_event in [old, new) of the used.idx window demands a notification; avail.flags bit 0 is ignored (split.usupp.device.4).',
  }),
  // ---- packed, driver ----
  packed('avail-wrap', 'driver', 'MUST', ['packed.wrap.driver.1', 'packed.wrap.any.1.driver', 'packed.chain.driver.2'], 'Every descriptor made available has AVAIL = driver wrap counter and USED = its inverse; the counter flips after the last slot.'),
  packed('head-last', 'driver', 'MUST NOT', ['packed.sg.driver.6', 'packed.op.driver.2'], 'The head of a list becomes available only after every later descriptor of the list is available.'),
  packed('list-length', 'driver', 'MUST NOT', ['packed.sg.driver.2'], 'A list has at most Q descriptors.'),
  packed('ring-space', 'driver', 'MUST', ['packed.sg.driver.5', 'packed.desc.driver.1'], 'The driver makes available only slots the device has used (at most Q descriptors outstanding).'),
  packed('readable-before-writable', 'driver', 'MUST', ['packed.sg.driver.3'], 'Device-readable elements precede device-writable ones in a list or indirect table.'),
  packed('indirect-negotiated', 'driver', 'MUST NOT', ['packed.indirect.driver.1'], 'INDIRECT is set only when VIRTIO_F_INDIRECT_DESC was negotiated.', { excludes: ['VIRTIO_F_INDIRECT_DESC'] }),
  packed('indirect-alone', 'driver', 'MUST NOT', ['packed.indirect.driver.4'], 'An INDIRECT descriptor is never part of a NEXT-linked list.', { requires: ['VIRTIO_F_INDIRECT_DESC'] }),
  packed('indirect-entry-flags', 'driver', 'MUST NOT', ['packed.indirect.driver.2'], 'Indirect table entries carry no flag except WRITE.', { requires: ['VIRTIO_F_INDIRECT_DESC'] }),
  packed('indirect-table-len', 'driver', 'MUST NOT', ['packed.indirect.driver.3'], 'An indirect table length is a non-zero multiple of 16.', {
    requires: ['VIRTIO_F_INDIRECT_DESC'],
    decision: NO_KEYWORD_INDIRECT_LEN,
  }),
  packed('buffer-id-unique', 'driver', 'MUST', ['packed.chain.driver.1'], 'The buffer id in the last descriptor of a list names no other outstanding buffer.', {
    decision: 'The clause puts the id in the last descriptor; an id already outstanding would make the used descriptor ambiguous, so it is a violation. ids in earlier descriptors are ignored.',
  }),
  packed('published-unchanged', 'driver', 'MUST NOT', ['packed.desc.driver.2', 'packed.desc.driver.1'], 'The driver does not change a descriptor it made available (or its indirect table) until the device used it.'),
  packed('driver-event-flags', 'driver', 'MUST', ['packed.evsupp.any.1.driver'], 'Driver area flags are ENABLE, DISABLE or (with EVENT_IDX) DESC, reserved bits 0.'),
  packed('driver-notify', 'driver', 'MUST', ['packed.evsupp.any.1.driver', 'packed.evsupp.any.2.driver'], 'A driver step that made descriptors available while the device area said ENABLE, or (EVENT_IDX) DESC with the event descriptor among them, ends with a notification sent after them.', {
    hook: 'after-driver-step',
    decision:
      'The catalog MUST is implied from the flag meanings (events enabled / enabled for a descriptor); DISABLE is a ' +
      'hint, spurious notifications are allowed. DESC without EVENT_IDX or the reserved value demand nothing.',
  }),
  packed('notification-data', 'driver', 'MUST', ['packed.notify.driver.1'], 'With NOTIFICATION_DATA, next_off/next_wrap name the next descriptor not yet made available.', {
    requires: ['VIRTIO_F_NOTIFICATION_DATA'],
    hook: 'driver-notify',
  }),
  // ---- packed, device ----
  packed('used-wrap', 'device', 'MUST', ['packed.wrap.device.1', 'packed.wrap.any.1.device'], 'A used descriptor has AVAIL = USED = device wrap counter; the counter flips after the last slot.'),
  packed('used-id', 'device', 'MUST NOT', ['packed.desc.device.3', 'packed.chain.driver.1'], 'A used descriptor names an outstanding buffer id, once per buffer.'),
  packed('used-slot', 'device', 'MUST', ['packed.order.device.2', 'packed.chain.driver.1'], 'Used descriptors sit where the driver reads them: one per list, the rest of the list skipped, none left beyond the next used slot at the end of a device step.', {
    decision:
      'A used flag pattern in a skipped slot is reported at once. One in a slot the device has not reached yet is ' +
      'judged only at afterDeviceStep, since used-descriptor writes may be reordered while in progress ' +
      '(packed.order.device.3). packed.chain.driver.1 binds the driver in the catalog but states the device half ' +
      'too ("the device writes one used descriptor per list").',
  }),
  packed('used-len', 'device', 'MUST', ['packed.used.device.1'], 'A used descriptor with WRITE has len at most the writable bytes of the buffer.', {
    decision: 'As for split rings, len may under-report; len is not checked without WRITE (reserved).',
  }),
  packed('in-order-use', 'device', 'MUST', ['rfb.device.5'], 'With IN_ORDER, buffers are used in the order they were made available.', {
    requires: ['VIRTIO_F_IN_ORDER'],
    decision: 'A used descriptor naming a later buffer completes the batch of all earlier outstanding buffers (2.8.8).',
  }),
  packed('device-readonly-buffers', 'device', 'MUST NOT', ['packed.desc.device.1'], 'The device does not write device-readable buffers or indirect tables of outstanding buffers.'),
  packed('device-writes-outside', 'device', 'MUST NOT', ['packed.desc.device.4', 'packed.desc.device.3'], 'The device writes descriptors only in slots it has not yet used; used descriptors stay unchanged.'),
  packed('device-event-flags', 'device', 'MUST', ['packed.evsupp.any.1.device'], 'Device area flags are ENABLE, DISABLE or (with EVENT_IDX) DESC, reserved bits 0.'),
  packed('device-notify', 'device', 'MUST', ['packed.evsupp.any.1.device', 'packed.evsupp.any.2.device'], 'A device step that used descriptors while the driver area said ENABLE, or (EVENT_IDX) DESC with the event descriptor among them, ends with a used-buffer notification sent after them.', {
    hook: 'after-device-step',
    decision:
      'As for driver-notify: the MUST is implied from the flag meanings; DISABLE is a hint. The event window counts ' +
      'ring positions including skipped list descriptors, as QEMU and Linux do.',
  }),
] as const;

/** Every rule the split and packed ring observers check. */
export const RING_OBSERVER_RULES: readonly RingRule[] = Object.freeze(RULES);

/** IDs of every rule in {@link RING_OBSERVER_RULES}. */
export type RingRuleId = (typeof RULES)[number]['id'];

const BY_ID: ReadonlyMap<string, RingRule> = new Map(RING_OBSERVER_RULES.map((r) => [r.id, r]));

/**
 * The rule with this ID.
 * @throws RangeError for an unknown ID (a programming error in an observer).
 */
export function ringRule(id: RingRuleId): RingRule {
  const rule = BY_ID.get(id);
  if (rule === undefined) throw new RangeError(`unknown ring rule ${id}`);
  return rule;
}
