/**
 * Device-side checks on the values of net config fields whose range the spec fixes:
 * `max_virtqueue_pairs` (`net.cfg.device.1`), `speed` (`net.cfg.device.10`) and `duplex`
 * (`net.cfg.device.11`). Each field is read before FEATURES_OK and again once its feature is
 * negotiated; both reads must be in range.
 *
 * @module
 */

import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MQ, VIRTIO_NET_F_SPEED_DUPLEX } from '../../../specs/features/net.js';
import {
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_DUPLEX_HALF,
  VIRTIO_NET_DUPLEX_UNKNOWN,
  VIRTIO_NET_SPEED_MAX,
  VIRTIO_NET_SPEED_UNKNOWN,
  type VirtioNetConfigField,
} from '../../../specs/net/config.js';
import { describeStatus } from '../../../specs/status.js';
import type { DeviceRequest } from '../../adapters/contract.js';
import { readFields } from '../../scenarios/negotiation/config-fields.js';
import { baseFeatures, openSession } from '../../scenarios/negotiation/device-session.js';
import type { Check } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';

/** The little-endian value of a field read as bytes. */
const valueOf = (bytes: readonly number[]): number => bytes.reduce((v, b, i) => v + b * 2 ** (8 * i), 0);

interface RangeRule {
  readonly id: string;
  readonly title: string;
  readonly clause: 'net.cfg.device.1' | 'net.cfg.device.10' | 'net.cfg.device.11';
  readonly field: VirtioNetConfigField;
  readonly feature: number;
  readonly featureName: string;
  /** Features the feature depends on, negotiated with it (`net.featdep.*`). */
  readonly alongside?: readonly number[];
  readonly request: Omit<DeviceRequest, 'transport'>;
  readonly allowed: (value: number) => boolean;
  readonly expected: string;
  readonly decision?: string;
}

function rangeCheck(rule: RangeRule): Check<DeviceCheckContext> {
  return {
    id: rule.id,
    title: rule.title,
    clauses: [rule.clause],
    role: 'device',
    level: 'MUST',
    area: 'negotiation',
    applies: { requires: [rule.featureName] },
    ...(rule.decision === undefined ? {} : { decision: rule.decision }),
    async run(context) {
      let opened;
      try {
        opened = await openSession(context, rule.request);
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
        opened = await openSession(context);
      }
      if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
      const session = opened.session;
      const offered = await session.begin();
      if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
      if (!hasFeature(offered, rule.feature)) throw new NotApplicable(`the device does not offer ${rule.featureName}`);
      const early = valueOf((await readFields(session, [rule.field]))[rule.field] ?? []);
      context.trace.record(`${rule.field} before FEATURES_OK: 0x${early.toString(16)}`);
      if (!rule.allowed(early)) {
        return { kind: 'violated', clause: rule.clause, observed: `${rule.field} reads 0x${early.toString(16)} (${early}) with ${rule.featureName} offered, before FEATURES_OK`, expected: rule.expected };
      }
      const { accepted, status } = await session.negotiate(baseFeatures(offered, context.config.ring) | featureMask(rule.feature, ...(rule.alongside ?? [])));
      if (!accepted) return { kind: 'inconclusive', reason: `the device refused ${rule.featureName} with the minimal subset (${describeStatus(status)})` };
      const late = valueOf((await readFields(session, [rule.field]))[rule.field] ?? []);
      context.trace.record(`${rule.field} after FEATURES_OK: 0x${late.toString(16)}`);
      if (!rule.allowed(late)) {
        return { kind: 'violated', clause: rule.clause, observed: `${rule.field} reads 0x${late.toString(16)} (${late}) with ${rule.featureName} negotiated`, expected: rule.expected };
      }
      return { kind: 'met' };
    },
  };
}

/** `negotiation.device.max-virtqueue-pairs-range`: with MQ offered, 1 <= max_virtqueue_pairs <= 0x8000 (`net.cfg.device.1`). */
export const maxVirtqueuePairsRange = rangeCheck({
  id: 'negotiation.device.max-virtqueue-pairs-range',
  title: 'With MQ offered, max_virtqueue_pairs is between 1 and 0x8000',
  clause: 'net.cfg.device.1',
  field: 'max_virtqueue_pairs',
  feature: VIRTIO_NET_F_MQ,
  featureName: 'VIRTIO_NET_F_MQ',
  alongside: [VIRTIO_NET_F_CTRL_VQ],
  request: { addFeatures: ['VIRTIO_NET_F_MQ'], maxVirtqueuePairs: 2 },
  allowed: (v) => v >= 1 && v <= 0x8000,
  expected: 'max_virtqueue_pairs in 1..0x8000 (VIRTQUEUE_PAIRS_MIN..VIRTQUEUE_PAIRS_MAX)',
});

/** `negotiation.device.speed-range`: with SPEED_DUPLEX, speed is 0..0x7fffffff or 0xffffffff (`net.cfg.device.10`). */
export const speedRange = rangeCheck({
  id: 'negotiation.device.speed-range',
  title: 'With SPEED_DUPLEX, speed is 0..0x7fffffff Mbit/s or 0xffffffff (unknown)',
  clause: 'net.cfg.device.10',
  field: 'speed',
  feature: VIRTIO_NET_F_SPEED_DUPLEX,
  featureName: 'VIRTIO_NET_F_SPEED_DUPLEX',
  request: { addFeatures: ['VIRTIO_NET_F_SPEED_DUPLEX'] },
  allowed: (v) => v <= VIRTIO_NET_SPEED_MAX || v === VIRTIO_NET_SPEED_UNKNOWN,
  expected: 'speed <= 0x7fffffff or speed = 0xffffffff',
  decision: 'The normative text mistypes the limits as 0x7ffffffff and 0xfffffffff (nine digits, wider than the 32-bit field); the check uses the 32-bit values 0x7fffffff and 0xffffffff.',
});

/** `negotiation.device.duplex-range`: with SPEED_DUPLEX, duplex is 0x00, 0x01 or 0xff (`net.cfg.device.11`). */
export const duplexRange = rangeCheck({
  id: 'negotiation.device.duplex-range',
  title: 'With SPEED_DUPLEX, duplex is 0x00, 0x01 or 0xff (unknown)',
  clause: 'net.cfg.device.11',
  field: 'duplex',
  feature: VIRTIO_NET_F_SPEED_DUPLEX,
  featureName: 'VIRTIO_NET_F_SPEED_DUPLEX',
  request: { addFeatures: ['VIRTIO_NET_F_SPEED_DUPLEX'] },
  allowed: (v) => v === VIRTIO_NET_DUPLEX_FULL || v === VIRTIO_NET_DUPLEX_HALF || v === VIRTIO_NET_DUPLEX_UNKNOWN,
  expected: 'duplex 0x00 or 0x01 (either reading of full / half) or 0xff (unknown)',
  decision:
    'summary.md defect 1: the normative clause says 0x00 = full, 0x01 = half; the field description and Linux say the reverse. ' +
    'Both known values pass under either reading; only values outside {0x00, 0x01, 0xff} fail.',
});

/** The checks of this module. */
export const configRangeChecks: readonly Check<DeviceCheckContext>[] = [maxVirtqueuePairsRange, speedRange, duplexRange];
