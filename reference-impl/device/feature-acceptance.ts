/**
 * Whether the device keeps FEATURES_OK for the subset the driver wrote.
 *
 * The spec leaves acceptance partly open (summary.md, "Feature acceptance"):
 * a device SHOULD accept any valid subset of what it offered
 * (`features.device.2`) and, when it does not, FEATURES_OK reads back clear
 * (`features.device.3`). It MAY refuse to work without VERSION_1,
 * ACCESS_PLATFORM or ORDER_PLATFORM (`rfb.device.2`, `rfb.device.4`,
 * `rfb.device.6`). A driver MUST NOT accept bits that were not offered
 * (`features.driver.1`) nor a feature without its prerequisites
 * (`features.driver.2`); the device may refuse either or mask it, as QEMU
 * does (qemu-qtest.md §2.3). Each of these choices is a field of
 * {@link FeatureAcceptancePolicy}, so a scenario can run the reference device
 * both ways.
 *
 * @module
 */

import { type FeatureSet, featureNames, hasFeature } from '../../specs/features/feature-set.js';
import { unmetDependencies } from '../../specs/features/dependencies.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_VERSION_1,
} from '../../specs/features/reserved.js';

/** A device type's verdict on a driver's subset (see `VirtioDeviceBackend.validateFeatures`). */
export type FeatureValidation =
  | { readonly kind: 'accept' }
  | { readonly kind: 'refuse'; readonly reason: string; readonly clauses: readonly string[] };

/** Why FEATURES_OK was refused. */
export type FeatureRefusal =
  /** The driver accepted `bits` that were not offered (`features.driver.1`). */
  | { readonly kind: 'unoffered-bits'; readonly bits: FeatureSet; readonly clause: 'features.driver.1' }
  /** VERSION_1 not accepted; the device does not run without it (`rfb.device.2`). */
  | { readonly kind: 'version-1-missing'; readonly clause: 'rfb.device.2' }
  /** ACCESS_PLATFORM offered but not accepted (`rfb.device.4`). */
  | { readonly kind: 'access-platform-missing'; readonly clause: 'rfb.device.4' }
  /** ORDER_PLATFORM offered but not accepted (`rfb.device.6`). */
  | { readonly kind: 'order-platform-missing'; readonly clause: 'rfb.device.6' }
  /** The device type refused (e.g. a dependency left unmet, `features.driver.2`). */
  | { readonly kind: 'device-rule'; readonly reason: string; readonly clauses: readonly string[] }
  /** The scenario's own {@link FeatureAcceptancePolicy.refuse} hook refused. */
  | { readonly kind: 'scenario'; readonly reason: string };

/** Outcome of {@link decideFeatures}. */
export type FeatureDecision =
  | { readonly kind: 'accept'; readonly features: FeatureSet }
  | { readonly kind: 'refuse'; readonly refusal: FeatureRefusal };

/**
 * How the device answers FEATURES_OK. Every field is optional; missing
 * fields take the strict default shown.
 */
export interface FeatureAcceptancePolicy {
  /**
   * Driver bits the device did not offer: `'refuse'` leaves FEATURES_OK
   * clear; `'mask'` drops them and negotiates the rest, like QEMU.
   * @default 'refuse'
   */
  readonly unoffered?: 'refuse' | 'mask';
  /**
   * Refuse a subset without VERSION_1 (`rfb.device.2`). The reference device
   * has no legacy interface, so it cannot run such a driver; QEMU keeps
   * FEATURES_OK and falls back to legacy semantics.
   * @default true
   */
  readonly requireVersion1?: boolean;
  /**
   * Refuse a subset without ACCESS_PLATFORM when it was offered (`rfb.device.4`); QEMU does.
   * @default true
   */
  readonly requireAccessPlatform?: boolean;
  /**
   * Refuse a subset without ORDER_PLATFORM when it was offered (`rfb.device.6`);
   * `false` models the slower-emulation fallback of `rfb.device.7`.
   * @default false
   */
  readonly requireOrderPlatform?: boolean;
  /**
   * Whether the device type's own rules (`validateFeatures`, e.g. the
   * dependency table) can refuse. `'ignore'` accepts an invalid subset, as
   * QEMU does with CTRL_RX without CTRL_VQ.
   * @default 'enforce'
   */
  readonly deviceRules?: 'enforce' | 'ignore';
  /**
   * Extra refusal for scenarios: return a reason to refuse an otherwise
   * acceptable subset (to test a driver's FEATURES_OK re-read,
   * `init.driver.4a`), or `null` to go on.
   * @default undefined
   */
  readonly refuse?: (driverFeatures: FeatureSet) => string | null;
}

/** The strict defaults: refuse anything the spec lets a device refuse. */
export const STRICT_FEATURE_ACCEPTANCE: FeatureAcceptancePolicy = Object.freeze({
  unoffered: 'refuse',
  requireVersion1: true,
  requireAccessPlatform: true,
  requireOrderPlatform: false,
  deviceRules: 'enforce',
});

/**
 * QEMU 7.2's observed behaviour (qemu-qtest.md §2.3): unoffered bits masked,
 * no VERSION_1 kept, invalid dependency sets kept, only a missing
 * ACCESS_PLATFORM refused.
 */
export const QEMU_FEATURE_ACCEPTANCE: FeatureAcceptancePolicy = Object.freeze({
  unoffered: 'mask',
  requireVersion1: false,
  requireAccessPlatform: true,
  requireOrderPlatform: false,
  deviceRules: 'ignore',
});

/**
 * The device's answer to FEATURES_OK for `driverFeatures`, given what it
 * `offered`, its `policy` and the device type's `validate` rules. Checks run
 * in a fixed order (unoffered bits, VERSION_1, ACCESS_PLATFORM,
 * ORDER_PLATFORM, device rules, scenario hook) and the first refusal wins.
 * Implements `features.device.2`, `features.device.3`, `rfb.device.2/4/6`.
 */
export function decideFeatures(
  offered: FeatureSet,
  driverFeatures: FeatureSet,
  policy: FeatureAcceptancePolicy,
  validate: (features: FeatureSet) => FeatureValidation,
): FeatureDecision {
  const unoffered = driverFeatures & ~offered;
  let features = driverFeatures;
  if (unoffered !== 0n) {
    if ((policy.unoffered ?? 'refuse') === 'refuse') {
      return { kind: 'refuse', refusal: { kind: 'unoffered-bits', bits: unoffered, clause: 'features.driver.1' } };
    }
    features = driverFeatures & offered;
  }
  const missing = (bit: number): boolean => hasFeature(offered, bit) && !hasFeature(features, bit);
  if ((policy.requireVersion1 ?? true) && !hasFeature(features, VIRTIO_F_VERSION_1)) {
    return { kind: 'refuse', refusal: { kind: 'version-1-missing', clause: 'rfb.device.2' } };
  }
  if ((policy.requireAccessPlatform ?? true) && missing(VIRTIO_F_ACCESS_PLATFORM)) {
    return { kind: 'refuse', refusal: { kind: 'access-platform-missing', clause: 'rfb.device.4' } };
  }
  if ((policy.requireOrderPlatform ?? false) && missing(VIRTIO_F_ORDER_PLATFORM)) {
    return { kind: 'refuse', refusal: { kind: 'order-platform-missing', clause: 'rfb.device.6' } };
  }
  if ((policy.deviceRules ?? 'enforce') === 'enforce') {
    const verdict = validate(features);
    if (verdict.kind === 'refuse') {
      return { kind: 'refuse', refusal: { kind: 'device-rule', reason: verdict.reason, clauses: verdict.clauses } };
    }
  }
  const scenario = policy.refuse?.(features) ?? null;
  if (scenario !== null) return { kind: 'refuse', refusal: { kind: 'scenario', reason: scenario } };
  return { kind: 'accept', features };
}

/**
 * Device-type rule for network devices: refuse a subset that breaks a MUST
 * row of the net dependency table (`features.driver.2`,
 * `net.featdep.*.driver`). Soft (SHOULD NOT) rules never refuse.
 */
export function validateNetDependencies(driverFeatures: FeatureSet): FeatureValidation {
  const broken = unmetDependencies(driverFeatures, 'driver', { strength: 'must' });
  if (broken.length === 0) return { kind: 'accept' };
  const reason = broken.map((v) => `${v.featureName} without ${v.missingText}`).join('; ');
  return { kind: 'refuse', reason, clauses: ['features.driver.2', ...broken.map((v) => v.clause)] };
}

/** A refusal in words, for logs and reports. */
export function describeRefusal(refusal: FeatureRefusal): string {
  switch (refusal.kind) {
    case 'unoffered-bits':
      return `driver accepted bits the device did not offer: ${featureNames(refusal.bits).join(', ')}`;
    case 'version-1-missing':
      return 'driver did not accept VIRTIO_F_VERSION_1';
    case 'access-platform-missing':
      return 'driver did not accept the offered VIRTIO_F_ACCESS_PLATFORM';
    case 'order-platform-missing':
      return 'driver did not accept the offered VIRTIO_F_ORDER_PLATFORM';
    case 'device-rule':
    case 'scenario':
      return refusal.reason;
  }
}
