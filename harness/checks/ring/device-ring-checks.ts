/**
 * Device-side ring checks: a whole device under test, brought up by the
 * harness driver and driven with random transmit, receive and event
 * suppression traffic, judged by the device-role rules of the ring
 * observers (virtio 1.4 sections 2.7 and 2.8), one check per rule family.
 *
 * @module
 */

import type { ClauseLevel } from '../../../specs/catalog/schema.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';
import type { LiveConfiguration } from './live-property.js';
import { checkDeviceTraffic, type DeviceRingKnobs, WITH_EVENT_IDX, WITH_IN_ORDER, WITHOUT_EVENT_IDX } from './device-traffic.js';
import { familyClauses, familyDecisions, type RuleFamily, ruleSet } from './rule-family.js';

interface DeviceRingCheckSpec extends RuleFamily {
  readonly name: string;
  readonly title: string;
  readonly level: ClauseLevel;
  readonly configurations: readonly LiveConfiguration<DeviceRingKnobs>[];
  readonly rings?: readonly ('split' | 'packed')[];
}

function deviceRingCheck(spec: DeviceRingCheckSpec): Check<DeviceCheckContext> {
  const rules = ruleSet(spec);
  const decision = familyDecisions(spec);
  return {
    id: `ring.device.${spec.name}`,
    title: spec.title,
    clauses: familyClauses(spec),
    role: 'device',
    level: spec.level,
    area: 'ring',
    applies: spec.rings === undefined ? {} : { rings: spec.rings },
    ...(decision === undefined ? {} : { decision }),
    run: (context) => checkDeviceTraffic(context, rules, spec.configurations),
  };
}

/**
 * Used entries name buffers the driver made available and has not had back,
 * once each, in order with IN_ORDER; the reported length never exceeds the
 * buffer's writable bytes; split `used.idx` and packed used descriptors
 * advance over outstanding buffers only, one used descriptor per packed list.
 */
export const usedRingCheck = deviceRingCheck({
  name: 'used-ring',
  title: 'Used entries name outstanding buffers once, with len at most the writable bytes, and advance only over outstanding buffers',
  level: 'MUST',
  rules: [
    'ring.split.used-idx-advance',
    'ring.split.used-id',
    'ring.split.used-len',
    'ring.split.in-order-use',
    'ring.packed.used-id',
    'ring.packed.used-slot',
    'ring.packed.used-len',
    'ring.packed.in-order-use',
  ],
  configurations: [WITH_EVENT_IDX, WITHOUT_EVENT_IDX, WITH_IN_ORDER],
});

/**
 * A used entry is complete before it is published: split `len` and `id`
 * are written before `used.idx` covers them and not changed after; a packed
 * used descriptor is not modified once its flags made it used, and the
 * device writes no descriptor outside the buffers it has not yet used
 * (bug D5, CVE-2021-3748: data written after publication).
 */
export const usedPublicationCheck = deviceRingCheck({
  name: 'used-publication',
  title: 'A used entry is written completely before it is published and left alone afterwards',
  level: 'MUST',
  rules: ['ring.split.used-entry-unchanged', 'ring.packed.device-writes-outside'],
  configurations: [WITH_EVENT_IDX],
});

/** The device writes neither device-readable buffers nor the descriptor table nor the available ring. */
export const driverMemoryCheck = deviceRingCheck({
  name: 'driver-memory-readonly',
  title: 'The device never writes device-readable buffers, the descriptor table or the available ring',
  level: 'MUST NOT',
  rules: ['ring.split.device-readonly-buffers', 'ring.split.device-ring-readonly', 'ring.packed.device-readonly-buffers'],
  configurations: [WITH_EVENT_IDX, WITHOUT_EVENT_IDX],
});

/** Packed used descriptors carry AVAIL = USED = the device wrap counter, flipped after the last slot. */
export const packedUsedWrapCheck = deviceRingCheck({
  name: 'packed-used-wrap',
  title: 'Packed used descriptors carry AVAIL = USED = the device wrap counter, which flips after the last slot',
  level: 'MUST',
  rules: ['ring.packed.used-wrap'],
  configurations: [WITH_EVENT_IDX],
  rings: ['packed'],
});

/** The device's event suppression field holds only defined values. */
export const deviceSuppressionFlagsCheck = deviceRingCheck({
  name: 'suppression-flags',
  title: 'used.flags is 0 or 1 (0 with EVENT_IDX); packed device event flags are ENABLE, DISABLE or (EVENT_IDX) DESC',
  level: 'MUST',
  rules: ['ring.split.used-flags', 'ring.packed.device-event-flags'],
  configurations: [WITH_EVENT_IDX, WITHOUT_EVENT_IDX],
});

/**
 * After publishing used buffers the device notifies whenever the driver's
 * suppression asks for it: avail.flags 0 without EVENT_IDX, used_event
 * passed with EVENT_IDX, packed ENABLE or DESC at a used descriptor
 * (bugs D20 and D9).
 */
export const usedNotificationCheck = deviceRingCheck({
  name: 'used-buffer-notification',
  title: 'The device sends a used-buffer notification whenever the driver\'s event suppression asks for one',
  level: 'MUST',
  rules: ['ring.split.device-notify-flags', 'ring.split.device-notify-event-idx', 'ring.packed.device-notify'],
  configurations: [WITH_EVENT_IDX, WITHOUT_EVENT_IDX],
});

/** The traffic-driven device ring checks. */
export const deviceTrafficChecks: readonly Check<DeviceCheckContext>[] = [
  usedRingCheck,
  usedPublicationCheck,
  driverMemoryCheck,
  packedUsedWrapCheck,
  deviceSuppressionFlagsCheck,
  usedNotificationCheck,
];
