import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { unmetDependencies } from '../../specs/features/dependencies.js';
import { featureMask, hasFeature } from '../../specs/features/feature-set.js';
import * as N from '../../specs/features/net.js';
import { VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import { QEMU_FEATURE_ACCEPTANCE, STRICT_FEATURE_ACCEPTANCE } from '../device/feature-acceptance.js';
import { DEFAULT_NET_FEATURES, NET_DEVICE_UNIMPLEMENTED, type NetDeviceConfigInput, parseNetDeviceConfig } from './device-config.js';

function refusedClauses(input: unknown): (string | null)[] {
  const r = parseNetDeviceConfig(input);
  if (r.kind !== 'refused') throw new Error('expected a refusal');
  return r.issues.map((i) => i.clause);
}

function warnings(input: NetDeviceConfigInput): (string | null)[] {
  const r = parseNetDeviceConfig(input);
  if (r.kind !== 'ok') throw new Error(`refused: ${r.issues.map((i) => i.message).join('; ')}`);
  return r.warnings.map((w) => w.clause);
}

describe('parseNetDeviceConfig defaults', () => {
  it('gives a typical device: QEMU-like features, split ring only, 1.4 config size', () => {
    const r = parseNetDeviceConfig({});
    if (r.kind !== 'ok') throw new Error('refused');
    const c = r.config;
    expect(c.features).toBe(featureMask(...DEFAULT_NET_FEATURES));
    expect(hasFeature(c.features, VIRTIO_F_RING_PACKED)).toBe(false);
    expect(c.ringFormats).toEqual(['split']);
    expect(c.mac).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(c.queueSizes).toEqual({ rx: 256, tx: 256, ctrl: 64 });
    expect(c.configSize).toBe(28);
    expect(c.speed).toBe(0xffff_ffff);
    expect(c.duplex).toBe(0xff);
    expect(c.featureAcceptance).toBe(STRICT_FEATURE_ACCEPTANCE);
    expect(r.warnings).toEqual([]);
  });

  it('takes features by spec name, short name, bit number or bigint', () => {
    const names = parseNetDeviceConfig({ features: ['VIRTIO_F_VERSION_1', 'mrg_rxbuf', 16] });
    const big = parseNetDeviceConfig({ features: featureMask(VIRTIO_F_VERSION_1, N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_STATUS) });
    expect(names.kind === 'ok' && big.kind === 'ok' && names.config.features === big.config.features).toBe(true);
  });

  it('offers RING_PACKED with ringFormats packed, and resolves the qemu policy and 1.2 size', () => {
    const r = parseNetDeviceConfig({ ringFormats: ['split', 'packed'], featureAcceptance: 'qemu', specVersion: '1.2', duplex: 'full', speed: 10000 });
    if (r.kind !== 'ok') throw new Error('refused');
    expect(hasFeature(r.config.features, VIRTIO_F_RING_PACKED)).toBe(true);
    expect(r.config.featureAcceptance).toBe(QEMU_FEATURE_ACCEPTANCE);
    expect(r.config.configSize).toBe(24);
    expect([r.config.speed, r.config.duplex]).toEqual([10000, 1]);
  });
});

describe('parseNetDeviceConfig refusals name their clause', () => {
  const cases: [string, unknown, string | null][] = [
    ['GUEST_TSO4 without GUEST_CSUM', { removeFeatures: ['GUEST_CSUM', 'GUEST_TSO6', 'GUEST_ECN'] }, 'net.featdep.guest-tso4.device'],
    ['MQ without CTRL_VQ', { features: ['VERSION_1', 'MQ'], maxVirtqueuePairs: 2 }, 'net.featdep.mq.device'],
    ['no VERSION_1', { removeFeatures: ['VERSION_1'] }, 'rfb.device.1'],
    ['an unknown feature name', { addFeatures: ['MRG_RXBUFF'] }, 'features.device.4'],
    ['an undefined bit', { addFeatures: [58] }, 'features.device.4'],
    ['a legacy-only bit', { addFeatures: ['VIRTIO_NET_F_GSO'] }, 'features.device.4'],
    ['a bit the core never offers', { addFeatures: ['SR_IOV'] }, 'features.device.4'],
    ['an unimplemented feature', { addFeatures: ['IPSEC', 'OUT_NET_HEADER'] }, 'features.device.4'],
    ['mtu 67 with MTU', { addFeatures: ['MTU'], mtu: 67 }, 'net.cfg.device.2'],
    ['0 pairs with MQ', { addFeatures: ['MQ'], maxVirtqueuePairs: 0 }, 'net.cfg.device.1'],
    ['0x8001 pairs with MQ', { addFeatures: ['MQ'], maxVirtqueuePairs: 0x8001 }, 'net.cfg.device.1'],
    ['key size 39 with RSS', { addFeatures: ['MQ', 'RSS'], maxVirtqueuePairs: 2, rss: { maxKeySize: 39 } }, 'net.cfg.device.7'],
    ['table 64 with RSS', { addFeatures: ['RSS'], rss: { maxIndirectionTableLength: 64 } }, 'net.cfg.device.8'],
    ['speed 0x80000000', { speed: 0x8000_0000 }, 'net.cfg.device.10'],
    ['a split queue of 100', { queueSizes: { rx: 100 } }, 'pci.common.device.15'],
    ['RING_PACKED offered but packed not allowed', { addFeatures: ['RING_PACKED'], ringFormats: ['split'] }, null],
    ['a mistyped field', { mtu: 'big' }, null],
    ['an unknown field', { mtuu: 1500 }, null],
  ];
  it.each(cases)('%s', (_name, input, clause) => {
    expect(refusedClauses(input)).toContain(clause);
  });

  it('accepts what packed-only allows and what MTU 1280.. allows', () => {
    expect(parseNetDeviceConfig({ queueSizes: { rx: 100 }, ringFormats: ['packed'] }).kind).toBe('ok');
    expect(parseNetDeviceConfig({ addFeatures: ['MTU'], mtu: 9000 }).kind).toBe('ok');
  });

  it('warns on SHOULD-level findings instead of refusing', () => {
    expect(warnings({ addFeatures: ['MTU'], mtu: 1000 })).toEqual(['net.cfg.device.3']);
    expect(warnings({ features: ['VERSION_1', 'HASH_REPORT'] })).toEqual(['net.cfg.device.13']);
    expect(warnings({ maxVirtqueuePairs: 4 })).toEqual(['net.vq.any.1.device']);
  });

  test.prop([fc.anything()])('never throws on any input', (input) => {
    expect(['ok', 'refused']).toContain(parseNetDeviceConfig(input).kind);
  });

  const netBits = N.NET_FEATURES.filter((f) => !f.legacyOnly && !NET_DEVICE_UNIMPLEMENTED.includes(f.bit)).map((f) => f.bit);
  test.prop([fc.subarray(netBits)])('refuses an offer exactly when a dependency row is unmet, naming each row', (bits) => {
    const set = featureMask(VIRTIO_F_VERSION_1, ...bits);
    const broken = unmetDependencies(set, 'device', { strength: 'must' }).map((v) => v.clause);
    const multi = bits.includes(N.VIRTIO_NET_F_MQ) || bits.includes(N.VIRTIO_NET_F_RSS);
    const r = parseNetDeviceConfig({ features: set, maxVirtqueuePairs: multi ? 2 : 1 });
    if (broken.length === 0) {
      expect(r.kind).toBe('ok');
    } else {
      expect(r.kind).toBe('refused');
      if (r.kind === 'refused') for (const clause of broken) expect(r.issues.map((i) => i.clause)).toContain(clause);
    }
  });
});
