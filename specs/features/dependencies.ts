/**
 * Network feature dependencies as data (virtio 1.4 5.1.3.1, "Feature bit
 * requirements", plus the soft SHOULD NOT rules elsewhere in 5.1).
 *
 * Two generic rules turn each dependency into a pair of requirements: a
 * device MUST NOT offer a feature without its prerequisites
 * (`features.device.1`) and a driver MUST NOT accept one without them
 * (`features.driver.2`). The catalog expands them into the derived
 * `net.featdep.<feature>.device` / `.driver` clauses cited below.
 *
 * @module
 */

import type { ClauseRole } from '../catalog/schema.js';
import { featureName, type FeatureSet, hasFeature } from './feature-set.js';
import {
  VIRTIO_NET_F_CSUM,
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VLAN,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_ANNOUNCE,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_ECN,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_TSO6,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_GUEST_UFO,
  VIRTIO_NET_F_GUEST_USO4,
  VIRTIO_NET_F_GUEST_USO6,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HASH_TUNNEL,
  VIRTIO_NET_F_HOST_ECN,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_HOST_TSO6,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_HOST_UFO,
  VIRTIO_NET_F_HOST_USO,
  VIRTIO_NET_F_IPSEC,
  VIRTIO_NET_F_MQ,
  VIRTIO_NET_F_NOTF_COAL,
  VIRTIO_NET_F_OUT_NET_HEADER,
  VIRTIO_NET_F_RSC_EXT,
  VIRTIO_NET_F_RSS,
  VIRTIO_NET_F_RSS_CONTEXT,
  VIRTIO_NET_F_VQ_NOTF_COAL,
} from './net.js';
import { allOf, anyOf, describeRequirement, feature, type Requirement, unmetPart } from './requirement.js';

/** `'must'`: the 5.1.3.1 table (MUST NOT offer / accept); `'should'`: a SHOULD NOT rule outside it. */
export type DependencyStrength = 'must' | 'should';

/** One dependency: `feature` needs `requires`. */
export interface FeatureDependency {
  /** The dependent feature bit. */
  readonly feature: number;
  /** What must also be in the set. */
  readonly requires: Requirement;
  /** MUST (table) or SHOULD (soft rule). */
  readonly strength: DependencyStrength;
  /**
   * Clause ID of the rule for each role, or `null` when the spec states no
   * rule for that role (IPSEC -> OUT_NET_HEADER binds only the device).
   */
  readonly clauses: { readonly device: string; readonly driver: string | null };
}

function dep(
  bit: number,
  requires: Requirement,
  strength: DependencyStrength,
  device: string,
  driver: string | null,
): FeatureDependency {
  return Object.freeze({ feature: bit, requires, strength, clauses: Object.freeze({ device, driver }) });
}

/** The derived clause pair for a table row: `net.featdep.<slug>.device` / `.driver`. */
function table(bit: number, slug: string, requires: Requirement): FeatureDependency {
  return dep(bit, requires, 'must', `net.featdep.${slug}.device`, `net.featdep.${slug}.driver`);
}

/**
 * Every net feature dependency, in the order of the spec table, then the
 * soft rules. Notes on the soft rules (summary.md defect 9): HASH_REPORT and
 * CTRL_RX_EXTRA need CTRL_VQ only as SHOULD NOT (`net.cfg.device.13/14`,
 * `net.cfg.driver.13/14`); IPSEC should come with OUT_NET_HEADER, stated for
 * the device only (`net.feat.device.1`).
 *
 * RSC_EXT is kept as written (HOST_TSO4 or HOST_TSO6) although its
 * description talks about the guest side.
 */
export const NET_FEATURE_DEPENDENCIES: readonly FeatureDependency[] = Object.freeze([
  table(VIRTIO_NET_F_GUEST_TSO4, 'guest-tso4', feature(VIRTIO_NET_F_GUEST_CSUM)),
  table(VIRTIO_NET_F_GUEST_TSO6, 'guest-tso6', feature(VIRTIO_NET_F_GUEST_CSUM)),
  table(VIRTIO_NET_F_GUEST_ECN, 'guest-ecn', anyOf(VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6)),
  table(VIRTIO_NET_F_GUEST_UFO, 'guest-ufo', feature(VIRTIO_NET_F_GUEST_CSUM)),
  table(VIRTIO_NET_F_GUEST_USO4, 'guest-uso4', feature(VIRTIO_NET_F_GUEST_CSUM)),
  table(VIRTIO_NET_F_GUEST_USO6, 'guest-uso6', feature(VIRTIO_NET_F_GUEST_CSUM)),
  table(
    VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
    'guest-udp-tunnel-gso',
    allOf(VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6),
  ),
  table(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM, 'guest-udp-tunnel-gso-csum', feature(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO)),
  table(VIRTIO_NET_F_HOST_TSO4, 'host-tso4', feature(VIRTIO_NET_F_CSUM)),
  table(VIRTIO_NET_F_HOST_TSO6, 'host-tso6', feature(VIRTIO_NET_F_CSUM)),
  table(VIRTIO_NET_F_HOST_ECN, 'host-ecn', anyOf(VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6)),
  table(VIRTIO_NET_F_HOST_UFO, 'host-ufo', feature(VIRTIO_NET_F_CSUM)),
  table(VIRTIO_NET_F_HOST_USO, 'host-uso', feature(VIRTIO_NET_F_CSUM)),
  table(
    VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
    'host-udp-tunnel-gso',
    allOf(VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_USO),
  ),
  table(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM, 'host-udp-tunnel-gso-csum', feature(VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO)),
  table(VIRTIO_NET_F_CTRL_RX, 'ctrl-rx', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_CTRL_VLAN, 'ctrl-vlan', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_GUEST_ANNOUNCE, 'guest-announce', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_MQ, 'mq', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_CTRL_MAC_ADDR, 'ctrl-mac-addr', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_NOTF_COAL, 'notf-coal', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_VQ_NOTF_COAL, 'vq-notf-coal', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_RSS, 'rss', feature(VIRTIO_NET_F_CTRL_VQ)),
  table(VIRTIO_NET_F_RSC_EXT, 'rsc-ext', anyOf(VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6)),
  table(VIRTIO_NET_F_HASH_TUNNEL, 'hash-tunnel', allOf(VIRTIO_NET_F_CTRL_VQ, anyOf(VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT))),
  table(VIRTIO_NET_F_RSS_CONTEXT, 'rss-context', allOf(VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_RSS)),
  dep(VIRTIO_NET_F_HASH_REPORT, feature(VIRTIO_NET_F_CTRL_VQ), 'should', 'net.cfg.device.13', 'net.cfg.driver.13'),
  dep(VIRTIO_NET_F_CTRL_RX_EXTRA, feature(VIRTIO_NET_F_CTRL_VQ), 'should', 'net.cfg.device.14', 'net.cfg.driver.14'),
  dep(VIRTIO_NET_F_IPSEC, feature(VIRTIO_NET_F_OUT_NET_HEADER), 'should', 'net.feat.device.1', null),
]);

/** One unmet dependency found by {@link unmetDependencies}. */
export interface DependencyViolation {
  /** The feature present without its prerequisites. */
  readonly feature: number;
  /** Spec name of `feature`. */
  readonly featureName: string;
  /** The whole requirement of the dependency. */
  readonly requires: Requirement;
  /** Only the unmet part of `requires`. */
  readonly missing: Requirement;
  /** `missing` in words, e.g. `VIRTIO_NET_F_RSS or VIRTIO_NET_F_HASH_REPORT`. */
  readonly missingText: string;
  /** Clause the set violates, for the role asked about. */
  readonly clause: string;
  /** MUST or SHOULD rule. */
  readonly strength: DependencyStrength;
  /** The rule's keyword as a check would report it. */
  readonly level: 'MUST NOT' | 'SHOULD NOT';
  /** Who broke it. */
  readonly role: ClauseRole;
}

/** Options for {@link unmetDependencies}. */
export interface UnmetOptions {
  /** Which rules to report: only the table (`'must'`), only soft rules, or both (default). */
  readonly strength?: DependencyStrength | 'any';
}

/**
 * Every dependency `set` breaks, in table order. For `role = 'device'`, `set`
 * is what the device offers (`features.device.1`, `net.featdep.*.device`); for
 * `'driver'`, what the driver accepted (`features.driver.2`,
 * `net.featdep.*.driver`). Rules that do not bind `role` are skipped.
 */
export function unmetDependencies(
  set: FeatureSet,
  role: ClauseRole,
  options: UnmetOptions = {},
): readonly DependencyViolation[] {
  const wanted = options.strength ?? 'any';
  const out: DependencyViolation[] = [];
  for (const d of NET_FEATURE_DEPENDENCIES) {
    if (wanted !== 'any' && d.strength !== wanted) continue;
    const clause = d.clauses[role];
    if (clause === null || !hasFeature(set, d.feature)) continue;
    const missing = unmetPart(set, d.requires);
    if (missing === null) continue;
    out.push({
      feature: d.feature,
      featureName: featureName(d.feature),
      requires: d.requires,
      missing,
      missingText: describeRequirement(missing),
      clause,
      strength: d.strength,
      level: d.strength === 'must' ? 'MUST NOT' : 'SHOULD NOT',
      role,
    });
  }
  return out;
}

/**
 * The dependency closure a device would need to offer together with `set`:
 * `set` plus, for each unmet must-dependency, its all-of members and the first
 * member of each any-of, repeated until nothing changes. Used to build valid
 * offers from a wish list; soft rules are not applied.
 */
export function withDependencies(set: FeatureSet): FeatureSet {
  const pick = (req: Requirement, acc: FeatureSet): FeatureSet => {
    if (req.kind === 'feature') return acc | (1n << BigInt(req.bit));
    if (req.kind === 'all-of') return req.of.reduce((a, r) => pick(r, a), acc);
    const first = req.of[0];
    return first === undefined ? acc : pick(first, acc);
  };
  let current = set;
  for (;;) {
    let next = current;
    for (const d of NET_FEATURE_DEPENDENCIES) {
      if (d.strength !== 'must' || !hasFeature(next, d.feature)) continue;
      const missing = unmetPart(next, d.requires);
      if (missing !== null) next = pick(missing, next);
    }
    if (next === current) return current;
    current = next;
  }
}
