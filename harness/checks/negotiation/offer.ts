/**
 * Device-side checks on what a device offers in its feature windows, read through
 * device_feature_select / DeviceFeaturesSel 0..3 after ACKNOWLEDGE and DRIVER.
 *
 * @module
 */

import { NET_FEATURE_DEPENDENCIES, unmetDependencies } from '../../../specs/features/dependencies.js';
import { FEATURES, type FeatureSet, featureBits, featureName, hasFeature } from '../../../specs/features/feature-set.js';
import { RESERVED_FEATURES, VIRTIO_F_SR_IOV, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { openSession } from '../../scenarios/negotiation/device-session.js';
import type { Check, CheckOutcome, TransportKind } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Opens a session and reads the default offer; an outcome instead when the device cannot be driven. */
async function readOffer(context: DeviceCheckContext): Promise<FeatureSet | CheckOutcome> {
  const opened = await openSession(context);
  if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
  const offered = await opened.session.begin();
  if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
  context.trace.record(`offered: ${featureBits(offered).map(featureName).join(' ')}`);
  return offered;
}

const names = (set: FeatureSet): string => featureBits(set).map(featureName).join(', ') || '(none)';

/** `rfb.device.1`: a non-legacy device always offers VIRTIO_F_VERSION_1. */
export const offersVersion1: Check<DeviceCheckContext> = {
  id: 'negotiation.device.offers-version-1',
  title: 'The device offers VIRTIO_F_VERSION_1',
  clauses: ['rfb.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const offered = await readOffer(context);
    if (typeof offered !== 'bigint') return offered;
    if (hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: 'rfb.device.1',
      observed: `the modern interface offers ${names(offered)}, without VIRTIO_F_VERSION_1 (bit 32)`,
      expected: 'a non-legacy device offers VIRTIO_F_VERSION_1',
    };
  },
};

const DEVICE_ROW_CLAUSES = NET_FEATURE_DEPENDENCIES.filter((d) => d.strength === 'must').map((d) => d.clauses.device);

/**
 * `features.device.1` with every device row of the net table (`net.featdep.*.device`): the offer
 * carries each offered feature's prerequisites.
 */
export const offerDependencies: Check<DeviceCheckContext> = {
  id: 'negotiation.device.offer-dependencies',
  title: 'Every offered feature comes with the features it depends on',
  clauses: ['features.device.1', ...DEVICE_ROW_CLAUSES],
  role: 'device',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const offered = await readOffer(context);
    if (typeof offered !== 'bigint') return offered;
    const broken = unmetDependencies(offered, 'device', { strength: 'must' });
    const first = broken[0];
    if (first === undefined) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: first.clause,
      observed: `the device offers ${broken.map((v) => `${v.featureName} without ${v.missingText}`).join('; ')}`,
      expected: 'a device does not offer a feature without every feature it depends on (5.1.3.1)',
    };
  },
};

/** The SHOULD NOT rules outside the table: HASH_REPORT and CTRL_RX_EXTRA need CTRL_VQ, IPSEC wants OUT_NET_HEADER. */
export const offerSoftDependencies: Check<DeviceCheckContext> = {
  id: 'negotiation.device.offer-soft-dependencies',
  title: 'HASH_REPORT and CTRL_RX_EXTRA are offered with CTRL_VQ, IPSEC with OUT_NET_HEADER',
  clauses: ['net.cfg.device.13', 'net.cfg.device.14', 'net.feat.device.1'],
  role: 'device',
  level: 'SHOULD NOT',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const offered = await readOffer(context);
    if (typeof offered !== 'bigint') return offered;
    const broken = unmetDependencies(offered, 'device', { strength: 'should' });
    const first = broken[0];
    if (first === undefined) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: first.clause,
      observed: `the device offers ${broken.map((v) => `${v.featureName} without ${v.missingText}`).join('; ')}`,
      expected: 'HASH_REPORT and CTRL_RX_EXTRA only with CTRL_VQ; IPSEC together with OUT_NET_HEADER',
    };
  },
};

const KNOWN = new Map(FEATURES.map((f) => [f.bit, f] as const));
const TRANSPORTS = new Map(RESERVED_FEATURES.map((f) => [f.bit, f.transports] as const));

/** Why offering `bit` on `transport` is not allowed, or null when it is. */
function offerProblem(bit: number, transport: TransportKind): string | null {
  const info = KNOWN.get(bit);
  if (info === undefined) return 'no revision of the spec defines it (reserved)';
  // Legacy-only bits are defined (see `decision`): a transitional device may show them.
  const transports = TRANSPORTS.get(bit);
  if (transports !== undefined && !transports.includes(transport)) return `it is defined for ${transports.join('/')} only`;
  return null;
}

/**
 * `features.device.4`: the device offers no reserved or undefined bit and no bit its transport
 * cannot carry; `rfb.device.10`: SR_IOV only on PCI.
 */
export const offersDefinedBits: Check<DeviceCheckContext> = {
  id: 'negotiation.device.offers-defined-bits',
  title: 'The device offers no reserved, undefined or transport-foreign feature bit',
  clauses: ['features.device.4', 'rfb.device.10'],
  role: 'device',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  decision:
    'Legacy-only bits (NOTIFY_ON_EMPTY, ANY_LAYOUT, UNUSED, GSO, GUEST_RSC4/6) are defined bits and not counted here: a ' +
    'transitional device must offer ANY_LAYOUT (rfb.legacy.device.3) and the spec does not say on which interface. ' +
    'SR_IOV on PCI is not judged: whether the function has an SR-IOV capability is outside the virtio registers.',
  async run(context) {
    const offered = await readOffer(context);
    if (typeof offered !== 'bigint') return offered;
    const transport = context.config.transport;
    const problems = featureBits(offered)
      .map((bit) => ({ bit, why: offerProblem(bit, transport) }))
      .filter((p): p is { bit: number; why: string } => p.why !== null);
    const first = problems[0];
    if (first === undefined) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: first.bit === VIRTIO_F_SR_IOV ? 'rfb.device.10' : 'features.device.4',
      observed: `the device offers ${problems.map((p) => `${featureName(p.bit)}: ${p.why}`).join('; ')}`,
      expected: `only feature bits a spec revision defines for a ${transport} network device`,
    };
  },
};
