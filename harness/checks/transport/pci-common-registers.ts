/**
 * Device-side checks on registers of `virtio_pci_common_cfg` a driver programs or reads during
 * set-up (virtio 1.4 4.1.3.1, 4.1.4.3): the two 32-bit halves of the 64-bit ring addresses, each
 * written and read on its own in any order; queue_size without RING_PACKED; and the
 * device_feature window for any select value.
 *
 * @module
 */

import fc from 'fast-check';
import { HandSession } from '../../scenarios/transport/hand-session.js';
import { checkProperty, undecided, violation } from '../../scenarios/transport/property.js';
import type { PciWindow } from '../../scenarios/transport/register-window.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const ADDRESS_FIELDS = ['queue_desc', 'queue_driver', 'queue_device'] as const;
type AddressField = (typeof ADDRESS_FIELDS)[number];

/**
 * One step on a ring address register of queue `slot`: write one or both halves in the order
 * given, then read both halves back (in the order given).
 */
interface HalfStep {
  readonly slot: number;
  readonly field: AddressField;
  readonly writes: readonly (0 | 1)[];
  readonly low: number;
  readonly high: number;
  readonly readFirst: 0 | 1;
}

/** Low halves 64-byte aligned, so every ring area's alignment holds whatever the field. */
const halfSteps: fc.Arbitrary<readonly HalfStep[]> = fc.array(
  fc.record({
    slot: fc.nat(1),
    field: fc.constantFrom(...ADDRESS_FIELDS),
    writes: fc.constantFrom<readonly (0 | 1)[]>([0], [1], [0, 1], [1, 0]),
    low: fc.nat(0x3ff_ffff).map((v) => (v * 64) >>> 0),
    high: fc.nat({ max: 0xffff_ffff }),
    readFirst: fc.constantFrom(0 as const, 1 as const),
  }),
  { minLength: 1, maxLength: 12 },
);

async function opened(context: DeviceCheckContext): Promise<{ session: HandSession; window: PciWindow } | CheckOutcome> {
  const session = await HandSession.open(context);
  if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
  const window = session.window;
  if (window.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
  return { session, window };
}

/**
 * `pci.layout.device.1`: each 32-bit half of queue_desc / queue_driver / queue_device reads back
 * what was last written to it, whatever was written to the other half and in whatever order;
 * `pci.common.device.15`: without RING_PACKED every queue_size reads 0 or a power of 2.
 */
export const pciQueueRegisters: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-queue-registers',
  title: 'The halves of the 64-bit ring address registers are independent, and queue_size is a power of 2 on split rings',
  clauses: ['pci.layout.device.1', 'pci.common.device.15'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'The addresses are written at FEATURES_OK to queues not enabled, with low halves 64-byte aligned (every ring area ' +
    'alignment a driver must keep); a half never written in a run is learnt from its first read.',
  async run(context) {
    const o = await opened(context);
    if (!('session' in o)) return o;
    const { session, window } = o;
    return checkProperty(
      context.config,
      halfSteps,
      async (steps) => {
        const features = await session.bringUp();
        if (typeof features === 'string') undecided(features);
        const queues: number[] = [];
        const count = await window.numQueues();
        for (let q = 0; q < Math.min(count, 2); q++) {
          await window.selectQueue(q);
          const size = await window.readQueueMax();
          if (context.config.ring === 'split' && size !== 0 && (size & (size - 1)) !== 0) {
            violation('pci.common.device.15', `queue ${q}: queue_size reads ${size} without VIRTIO_F_RING_PACKED`, 'queue_size is 0 or a power of 2');
          }
          if (size > 0) queues.push(q);
        }
        if (queues.length === 0) undecided('the device shows no queue');
        const model = new Map<string, number>();
        for (const step of steps) {
          const q = queues[step.slot % queues.length] as number;
          await window.selectQueue(q);
          for (const h of step.writes) {
            const value = h === 0 ? step.low : step.high;
            await window.common.write(step.field, value, h);
            model.set(`${q}/${step.field}/${h}`, value);
          }
          for (const h of [step.readFirst, 1 - step.readFirst] as const) {
            const key = `${q}/${step.field}/${h}`;
            const read = (await window.common.read(step.field, h)) >>> 0;
            const expected = model.get(key);
            if (expected === undefined) model.set(key, read);
            else if (read !== expected) {
              const order = step.writes.map((w) => (w === 0 ? 'low' : 'high')).join(' then ');
              violation('pci.layout.device.1', `queue ${q}: ${step.field} ${h === 0 ? 'low' : 'high'} half reads 0x${read.toString(16)} where 0x${expected.toString(16)} was last written to it (this step wrote ${order})`, 'each 32-bit half reads back what was last written to it, independently of the other half');
            }
          }
        }
      },
      { scale: 4 },
    );
  },
};

/** Select values worth trying: the defined words, just past them, and far out in the 32-bit range. */
const selects = fc.oneof(fc.nat(3), fc.integer({ min: 4, max: 16 }), fc.integer({ min: 0x100, max: 0xffff_ffff }), fc.constantFrom(0x100, 0x1_0000, 0x8000_0000, 0xffff_ffff));

type WindowOp = { readonly kind: 'device'; readonly select: number } | { readonly kind: 'driver-select'; readonly select: number };

/** `pci.common.device.3`: device_feature shows the offered word for every select value (0 past bit 127). */
export const pciFeatureWindow: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-feature-window',
  title: 'device_feature shows the offered bits of the word device_feature_select names, and 0 for words no feature lives in',
  clauses: ['pci.common.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'No revision up to 1.4 defines a feature bit past 127, so every word from select 4 up must read 0 (a device offering ' +
    'such a bit breaks features.device.4 anyway). Words 0..3 must read the same every time, whatever was selected or ' +
    'written to driver_feature_select in between. The note that nothing exceeds bit 63 is stale (summary.md defect 4).',
  async run(context) {
    const o = await opened(context);
    if (!('session' in o)) return o;
    const { session, window } = o;
    const offered = await session.begin();
    if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
    const words = [0, 1, 2, 3].map((s) => Number((offered >> BigInt(32 * s)) & 0xffff_ffffn));
    const ops = fc.array(
      fc.oneof(
        { weight: 3, arbitrary: selects.map((select): WindowOp => ({ kind: 'device', select })) },
        { weight: 1, arbitrary: selects.map((select): WindowOp => ({ kind: 'driver-select', select })) },
      ),
      { minLength: 1, maxLength: 30 },
    );
    return checkProperty(
      context.config,
      ops,
      async (list) => {
        for (const op of list) {
          if (op.kind === 'driver-select') {
            await window.common.write('driver_feature_select', op.select);
            continue;
          }
          const read = await window.readDeviceFeatureWord(op.select);
          const expected = op.select < 4 ? (words[op.select] as number) : 0;
          if (read !== expected) {
            violation('pci.common.device.3', `device_feature reads 0x${read.toString(16)} with device_feature_select = 0x${op.select.toString(16)}`, `0x${expected.toString(16)}: ${op.select < 4 ? `the offered bits ${32 * op.select}..${32 * op.select + 31} as first read` : 'no feature is defined in that word'}`);
          }
        }
      },
      { scale: 2 },
    );
  },
};
