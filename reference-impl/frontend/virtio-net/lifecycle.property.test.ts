/**
 * Property: over generated device offers, the whole life cycle (probe,
 * open, one frame each way, remove) completes, or fails exactly where
 * Linux 6.1 fails (linux-driver-facts §1.14), leaving the status Linux
 * leaves (§1.1 step 11).
 *
 * The model below is written from the facts list, not from the driver:
 * which offers are refused, at which step, with which status byte.
 * Offers the reference device will not make (CTRL_VQ hidden, a bad MTU, a
 * bad queue-pair count, an oversized RSS key, an MTU that changes between
 * two reads) are produced by an overlay on the register seam.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { type FeatureSet, featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { unmetDependencies } from '../../../specs/features/dependencies.js';
import * as N from '../../../specs/features/net.js';
import * as R from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import { bench, ethFrame } from './e2e-fixture.js';
import { makeSkb } from './skb.js';

const OPTIONAL = [
  N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, N.VIRTIO_NET_F_MTU, N.VIRTIO_NET_F_MAC,
  N.VIRTIO_NET_F_GUEST_TSO4, N.VIRTIO_NET_F_GUEST_TSO6, N.VIRTIO_NET_F_GUEST_ECN, N.VIRTIO_NET_F_GUEST_UFO, N.VIRTIO_NET_F_HOST_TSO4,
  N.VIRTIO_NET_F_HOST_TSO6, N.VIRTIO_NET_F_HOST_ECN, N.VIRTIO_NET_F_HOST_UFO, N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_STATUS,
  N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX, N.VIRTIO_NET_F_CTRL_VLAN, N.VIRTIO_NET_F_GUEST_ANNOUNCE, N.VIRTIO_NET_F_MQ,
  N.VIRTIO_NET_F_CTRL_MAC_ADDR, N.VIRTIO_NET_F_RSS, N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_NOTF_COAL, N.VIRTIO_NET_F_SPEED_DUPLEX,
  N.VIRTIO_NET_F_CTRL_RX_EXTRA, N.VIRTIO_NET_F_GUEST_USO4, N.VIRTIO_NET_F_HOST_USO, R.VIRTIO_F_INDIRECT_DESC, R.VIRTIO_F_RING_RESET,
];

/** Drops offered features whose prerequisites are missing until the offer is one a device may make. */
function closeOffer(set: FeatureSet): FeatureSet {
  for (;;) {
    const bad = unmetDependencies(set, 'device', { strength: 'must' });
    if (bad.length === 0) return set;
    for (const v of bad) set &= ~(1n << BigInt(v.feature));
  }
}

/** The 6.1 driver's table (facts §1.2), written out again here, independent of features.ts. */
const LINUX_TABLE = featureMask(
  0, 1, 2, 3, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 53, 57, 60, 62, 63,
  R.VIRTIO_F_INDIRECT_DESC, R.VIRTIO_F_EVENT_IDX, R.VIRTIO_F_VERSION_1, R.VIRTIO_F_RING_PACKED,
);

type Stage = 'validate' | 'features-ok' | 'probe' | 'ok';

interface Expectation {
  readonly stage: Stage;
  readonly status: number;
  readonly featureWrites: number;
  /**
   * The driver's queue-pair count differs from the device's, so the queue
   * it uses as the control queue is not the device's (`net.vq.any.1.driver`):
   * the first control command is never answered. Linux hangs there for good.
   */
  readonly cvqMisplaced: boolean;
}

const ACK_DRIVER = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

/** Where Linux 6.1 stops for this offer (facts §1.14), and the status it leaves. */
function linuxModel(o: {
  offer: FeatureSet;
  transport: 'pci' | 'mmio';
  mtuReads: readonly [number, number];
  pairsRead: number;
  devicePairs: number;
  keySize: number;
}): Expectation {
  let neg = o.offer & (LINUX_TABLE | (o.transport === 'pci' ? featureMask(R.VIRTIO_F_RING_RESET) : 0n));
  const has = (b: number) => hasFeature(neg, b);
  const needsCvq = [18, 19, 21, 22, 23, 60, 57, 53];
  if (!has(N.VIRTIO_NET_F_CTRL_VQ) && needsCvq.some(has)) return { stage: 'validate', status: ACK_DRIVER | VIRTIO_CONFIG_S_FAILED, featureWrites: 1, cvqMisplaced: false };
  let writes = 1;
  if (has(N.VIRTIO_NET_F_MTU) && o.mtuReads[0] < 68) {
    neg &= ~(1n << BigInt(N.VIRTIO_NET_F_MTU));
    writes = 2;
  }
  const probeFail = { stage: 'probe' as const, status: ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_FAILED, featureWrites: writes, cvqMisplaced: false };
  if ((has(N.VIRTIO_NET_F_RSS) || has(N.VIRTIO_NET_F_HASH_REPORT)) && o.keySize > 40) return probeFail;
  if (has(N.VIRTIO_NET_F_MTU) && o.mtuReads[1] < 68) return probeFail;
  let maxQp = has(N.VIRTIO_NET_F_MQ) || has(N.VIRTIO_NET_F_RSS) ? o.pairsRead : 1;
  if (maxQp < 1 || maxQp > 0x8000 || !has(N.VIRTIO_NET_F_CTRL_VQ)) maxQp = 1;
  if (maxQp > o.devicePairs) return probeFail;
  const cvqMisplaced = has(N.VIRTIO_NET_F_CTRL_VQ) && maxQp !== o.devicePairs;
  return { stage: 'ok', status: ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK, featureWrites: writes, cvqMisplaced };
}

const offerArb = fc.record({
  transport: fc.constantFrom('pci' as const, 'mmio' as const),
  packed: fc.boolean(),
  bits: fc.subarray(OPTIONAL),
  hideCtrlVq: fc.boolean(),
  deviceMtu: fc.constantFrom(68, 576, 1500, 9000),
  mtuReads: fc.tuple(fc.constantFrom<number | null>(null, 0, 60, 67, 68, 1500), fc.constantFrom<number | null>(null, 0, 67, 1500)),
  devicePairs: fc.integer({ min: 1, max: 3 }),
  pairsRead: fc.constantFrom<number | null>(null, 0, 1, 2, 3, 4, 0x8001),
  keySize: fc.constantFrom<number | null>(null, 40, 41, 255),
  cpus: fc.integer({ min: 1, max: 4 }),
});

type Gen = typeof offerArb extends fc.Arbitrary<infer T> ? T : never;

const base: Gen = {
  transport: 'pci',
  packed: false,
  bits: [N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_STATUS, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX],
  hideCtrlVq: false,
  deviceMtu: 1500,
  mtuReads: [null, null],
  devicePairs: 1,
  pairsRead: null,
  keySize: null,
  cpus: 1,
};

/** One example per place Linux stops, so every branch of the model runs on every seed. */
const EXAMPLES: [Gen][] = [
  [base],
  [{ ...base, hideCtrlVq: true }],
  [{ ...base, transport: 'mmio', bits: [...base.bits, N.VIRTIO_NET_F_MTU], mtuReads: [60, null] }],
  [{ ...base, bits: [...base.bits, N.VIRTIO_NET_F_MTU], mtuReads: [1500, 60] }],
  [{ ...base, bits: [...base.bits, N.VIRTIO_NET_F_RSS], keySize: 41, packed: true }],
  [{ ...base, bits: [...base.bits, N.VIRTIO_NET_F_MQ], devicePairs: 2, pairsRead: 3, cpus: 4 }],
  [{ ...base, bits: [...base.bits, N.VIRTIO_NET_F_MQ], devicePairs: 2, pairsRead: 0x8001 }],
  [{ ...base, bits: [...base.bits, N.VIRTIO_NET_F_MQ], devicePairs: 3, cpus: 2, transport: 'mmio', packed: true }],
];

test.prop([offerArb], { numRuns: 120, examples: EXAMPLES })('life cycle completes or fails where Linux 6.1 fails', async (g) => {
  const offer = closeOffer(featureMask(R.VIRTIO_F_VERSION_1, ...g.bits));
  const b = bench(g.transport, {
    features: offer,
    ringFormats: g.packed ? ['packed'] : ['split'],
    mtu: g.deviceMtu,
    maxVirtqueuePairs: g.devicePairs,
    queueSizes: { rx: 64, tx: 64, ctrl: 32 },
  });
  const cfg = new Map<number, number[]>();
  const mtu0 = g.mtuReads[0] ?? g.deviceMtu;
  const mtu1 = g.mtuReads[1] ?? mtu0;
  if (g.mtuReads[0] !== null || g.mtuReads[1] !== null) cfg.set(10, [mtu0, mtu1]);
  if (g.pairsRead !== null) cfg.set(8, [g.pairsRead]);
  if (g.keySize !== null) cfg.set(17, [g.keySize]);
  const hide = g.hideCtrlVq ? featureMask(N.VIRTIO_NET_F_CTRL_VQ) : 0n;
  const visible = (b.device.config.features & ~hide) | 0n;
  const expected = linuxModel({
    offer: visible,
    transport: g.transport,
    mtuReads: [mtu0, mtu1],
    pairsRead: g.pairsRead ?? g.devicePairs,
    devicePairs: hasFeature(offer, N.VIRTIO_NET_F_MQ) || hasFeature(offer, N.VIRTIO_NET_F_RSS) ? g.devicePairs : 1,
    keySize: g.keySize ?? 40,
  });
  const r = await b.attach({ onlineCpus: g.cpus, control: { pollLimit: 20, timeoutMs: 1000 } }, { hideFeatures: hide, config: cfg });
  if (expected.cvqMisplaced) {
    // Linux spins forever on the first control command; the reference reports a time-out at the same command.
    if (r.kind === 'attached') {
      await r.frontEnd.netdev.open();
      expect((r.frontEnd.vi.cvq?.history ?? [])[0]?.outcome.kind ?? 'none').toMatch(/^(timeout|none)$/);
    } else {
      expect(r.kind === 'probe-failed' && r.error.message).toBe('setting MAC address failed');
    }
    return;
  }
  const stage: Stage =
    r.kind === 'attached' ? 'ok' : r.kind === 'probe-failed' ? (r.error.code === 'driver-refused' && (r.status & VIRTIO_CONFIG_S_FEATURES_OK) === 0 ? 'validate' : r.error.code === 'features-refused' ? 'features-ok' : 'probe') : 'probe';
  expect({ stage, status: b.device.core.status }).toEqual({ stage: expected.stage, status: expected.status });
  if (r.kind !== 'attached') return;
  const fe = r.frontEnd;
  expect(fe.vdev.featureWrites.length).toBe(expected.featureWrites);
  expect(await fe.netdev.open()).toBe(0);
  await fe.settle();
  await fe.netdev.setPromisc(true);
  // The overlay may have lied about the MTU: size frames for what the device really takes.
  const mtu = Math.min(fe.vi.dev.mtu, g.deviceMtu);
  await fe.netdev.xmit(makeSkb(ethFrame(Uint8Array.of(2, 0, 0, 0, 0, 7), 14 + Math.min(86, mtu))));
  await fe.settle();
  expect(b.device.wire.sent.length).toBe(1);
  expect(b.device.wire.inject(ethFrame(fe.vi.dev.devAddr, 14 + Math.min(186, mtu))).kind).toBe('delivered');
  await fe.settle();
  expect(fe.vi.delivered.length).toBe(1);
  expect(fe.vi.cvq?.history.filter((h) => h.outcome.kind === 'timeout') ?? []).toEqual([]);
  await fe.netdev.close();
  await fe.remove();
  expect(b.device.core.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  expect(b.device.events.ofKind('needs-reset')).toEqual([]);
  expect(b.device.events.ofKind('driver-violation')).toEqual([]);
});
