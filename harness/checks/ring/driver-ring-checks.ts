/**
 * Driver-side ring checks: the driver under test bound to the reference
 * device, driven with transmit, receive and control traffic, judged by the
 * driver-role rules of the ring observers watching every queue it enables
 * (virtio 1.4 sections 2.7 and 2.8), one check per rule family.
 *
 * @module
 */

import type { ClauseLevel } from '../../../specs/catalog/schema.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';
import type { LiveConfiguration } from './live-property.js';
import { BIG_DIRECT, BIG_INDIRECT, checkDriverTraffic, DEFAULT_OFFER, type DriverRingKnobs, NO_EVENT_IDX } from './driver-traffic.js';
import { familyClauses, familyDecisions, type RuleFamily, ruleSet } from './rule-family.js';

interface DriverRingCheckSpec extends RuleFamily {
  readonly name: string;
  readonly title: string;
  readonly level: ClauseLevel;
  readonly configurations: readonly LiveConfiguration<DriverRingKnobs>[];
  readonly rings?: readonly ('split' | 'packed')[];
}

function driverRingCheck(spec: DriverRingCheckSpec): Check<DriverCheckContext> {
  const rules = ruleSet(spec);
  const decision = familyDecisions(spec);
  return {
    id: `ring.driver.${spec.name}`,
    title: spec.title,
    clauses: familyClauses(spec),
    role: 'driver',
    level: spec.level,
    area: 'ring',
    applies: spec.rings === undefined ? {} : { rings: spec.rings },
    ...(decision === undefined ? {} : { decision }),
    run: (context) => checkDriverTraffic(context, rules, spec.configurations),
  };
}

/**
 * Chains are well formed: readable descriptors before writable ones, no
 * loop, every index inside the table, no more than Q descriptors, with
 * IN_ORDER sequential `next` values; indirect descriptors only when
 * negotiated, never with NEXT or nested, tables of whole entries.
 */
export const chainWellFormedCheck = driverRingCheck({
  name: 'chain-well-formed',
  title: 'Chains put readable before writable descriptors, stay inside the table without loops, and use indirect tables only as allowed',
  level: 'MUST',
  rules: [
    'ring.split.readable-before-writable',
    'ring.split.chain-no-loop',
    'ring.split.chain-next-in-range',
    'ring.split.chain-length',
    'ring.split.in-order-next',
    'ring.split.indirect-no-next',
    'ring.split.indirect-negotiated',
    'ring.split.indirect-not-nested',
    'ring.split.indirect-table-len',
    'ring.packed.readable-before-writable',
    'ring.packed.list-length',
    'ring.packed.indirect-alone',
    'ring.packed.indirect-negotiated',
    'ring.packed.indirect-entry-flags',
    'ring.packed.indirect-table-len',
  ],
  configurations: [BIG_DIRECT, BIG_INDIRECT],
});

/**
 * What the driver made available is written before it is published and
 * left alone until used: split descriptors and avail entries before
 * `avail.idx`, packed list heads last; ring space and buffer ids respected.
 */
export const publishedBuffersCheck = driverRingCheck({
  name: 'published-buffers-unchanged',
  title: 'Buffers are written before they are made available and left alone until the device used them',
  level: 'MUST',
  rules: [
    'ring.split.published-unchanged',
    'ring.split.avail-idx-advance',
    'ring.packed.published-unchanged',
    'ring.packed.head-last',
    'ring.packed.ring-space',
    'ring.packed.buffer-id-unique',
  ],
  configurations: [DEFAULT_OFFER, BIG_DIRECT],
});

/** Packed descriptors made available carry AVAIL = the driver wrap counter and USED = its inverse. */
export const packedAvailWrapCheck = driverRingCheck({
  name: 'packed-avail-wrap',
  title: 'Packed descriptors made available carry AVAIL = the driver wrap counter and USED = its inverse',
  level: 'MUST',
  rules: ['ring.packed.avail-wrap'],
  configurations: [DEFAULT_OFFER],
  rings: ['packed'],
});

/** The driver's event suppression fields hold only defined values, and used.flags starts at 0. */
export const driverSuppressionFlagsCheck = driverRingCheck({
  name: 'suppression-flags',
  title: 'avail.flags is 0 or 1 (0 with EVENT_IDX) and used.flags starts at 0; packed driver event flags are ENABLE, DISABLE or (EVENT_IDX) DESC',
  level: 'MUST',
  rules: ['ring.split.avail-flags', 'ring.split.used-flags-zeroed', 'ring.packed.driver-event-flags'],
  configurations: [DEFAULT_OFFER, NO_EVENT_IDX],
});

/**
 * After making buffers available the driver notifies whenever the device's
 * suppression asks for it (used.flags 0, avail_event passed, packed ENABLE
 * or DESC), with a correct NOTIFICATION_DATA word when negotiated.
 */
export const availableNotificationCheck = driverRingCheck({
  name: 'available-buffer-notification',
  title: 'The driver notifies the device whenever the device\'s event suppression asks for it',
  level: 'MUST',
  rules: ['ring.split.driver-notify-flags', 'ring.split.driver-notify-event-idx', 'ring.packed.driver-notify', 'ring.packed.notification-data'],
  configurations: [DEFAULT_OFFER, NO_EVENT_IDX],
});

/** The driver ring checks. */
export const driverTrafficChecks: readonly Check<DriverCheckContext>[] = [
  chainWellFormedCheck,
  publishedBuffersCheck,
  packedAvailWrapCheck,
  driverSuppressionFlagsCheck,
  availableNotificationCheck,
];
