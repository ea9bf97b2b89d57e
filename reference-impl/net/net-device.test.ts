import { describe, expect, it } from 'vitest';
import { type FeatureSet, featureMask, featureWord } from '../../specs/features/feature-set.js';
import * as N from '../../specs/features/net.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import {
  VIRTIO_NET_CTRL_ANNOUNCE,
  VIRTIO_NET_CTRL_ANNOUNCE_ACK,
  VIRTIO_NET_CTRL_MQ,
  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
  VIRTIO_NET_ERR,
  VIRTIO_NET_OK,
} from '../../specs/net/ctrl.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
} from '../../specs/status.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import type { VirtioMmio } from '../transport/mmio.js';
import type { VirtioPciModern } from '../transport/pci-modern.js';
import type { NetDeviceConfigInput } from './device-config.js';
import { ipv4Frame } from './filter/test-frames.js';
import { createReferenceNetDevice, type NetTransportKind, type ReferenceNetDevice } from './reference-net-device.js';
import { bringUp, type DriverRegisters, mmioRegisters, pciRegisters, type ScriptQueue } from './scripted-driver.js';
import { testFrame } from './test-fixture.js';

interface Rig {
  readonly dev: ReferenceNetDevice<NetTransportKind>;
  readonly regs: DriverRegisters;
  readonly mem: GuestMemory;
  readonly alloc: GuestAllocator;
  readonly queues: ScriptQueue[];
  readonly layouts: { driverAddr: number }[];
  readonly features: FeatureSet;
}

function rig(transport: NetTransportKind, config: NetDeviceConfigInput, wanted: readonly number[], queueCount: number): Rig {
  const mem = new GuestMemory(16 << 20);
  const alloc = new GuestAllocator(mem, 0x10000);
  const created = createReferenceNetDevice(config, { transport, memory: mem });
  if (created.kind !== 'created') throw new Error(created.issues.map((i) => i.message).join('; '));
  const dev = created.device;
  const regs = transport === 'pci' ? pciRegisters(dev.registers as VirtioPciModern) : mmioRegisters(dev.registers as VirtioMmio);
  const up = bringUp(regs, mem, alloc, featureMask(VIRTIO_F_VERSION_1, ...wanted), queueCount);
  if (up.kind !== 'live') throw new Error('features refused');
  return { dev, regs, mem, alloc, queues: up.queues, layouts: up.layouts, features: up.features };
}

function used(q: ScriptQueue | undefined): [number, number][] {
  const out: [number, number][] = [];
  if (q === undefined) return out;
  for (let u = q.getUsed(); u !== null; u = q.getUsed()) {
    if (u.kind === 'ring-error') throw new Error(u.message);
    out.push([u.token, u.len]);
  }
  return out;
}

function transmit(r: Rig, frame: Uint8Array, queue = 1, token = 0): void {
  const addr = r.alloc.alloc(12 + frame.length, 16);
  r.mem.writeBytes(addr + 12, frame);
  expect(r.queues[queue]?.addSgs([{ addr, len: 12 + frame.length }], [], token).kind).toBe('added');
  r.regs.notify(queue);
}

function postRx(r: Rig, sizes: readonly number[], queue = 0): number[] {
  const addrs = sizes.map((len, token) => {
    const addr = r.alloc.alloc(len, 16);
    expect(r.queues[queue]?.addSgs([], [{ addr, len }], token).kind).toBe('added');
    return addr;
  });
  r.regs.notify(queue);
  return addrs;
}

/** Sends a control command on virtqueue `cvq` and returns its ack byte and used len. */
function ctrl(r: Rig, cvq: number, klass: number, cmd: number, payload: readonly number[]): [number, number] {
  const out = r.alloc.alloc(2 + payload.length, 16);
  r.mem.writeBytes(out, Uint8Array.from([klass, cmd, ...payload]));
  const ack = r.alloc.alloc(1, 16);
  r.mem.write8(ack, 0xff);
  r.queues[cvq]?.addSgs([{ addr: out, len: 2 + payload.length }], [{ addr: ack, len: 1 }], 99);
  r.regs.notify(cvq);
  const u = used(r.queues[cvq]);
  expect(u).toHaveLength(1);
  return [r.mem.read8(ack), u[0]?.[1] as number];
}

const FORMATS: [NetTransportKind, 'split' | 'packed'][] = [
  ['mmio', 'split'],
  ['mmio', 'packed'],
  ['pci', 'split'],
  ['pci', 'packed'],
];

describe.each(FORMATS)('end to end over %s with a %s ring', (transport, format) => {
  const wanted = [N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_STATUS, ...(format === 'packed' ? [VIRTIO_F_RING_PACKED] : [])];
  const config: NetDeviceConfigInput = { ringFormats: ['split', 'packed'] };

  it('sends a transmitted frame to the wire and completes it with used len 0 and an interrupt', () => {
    const r = rig(transport, config, wanted, 2);
    expect(r.dev.core.live).toBe(true);
    const frame = testFrame(114, 4);
    transmit(r, frame, 1, 5);
    expect(r.dev.wire.sent.map((s) => [...s.frame])).toEqual([[...frame]]);
    expect(used(r.queues[1])).toEqual([[5, 0]]);
    expect(r.regs.takeInterrupt() & 1).toBe(1);
  });

  it('delivers a received frame over mergeable buffers with num_buffers', () => {
    const r = rig(transport, config, wanted, 2);
    const addrs = postRx(r, [64, 64, 64, 64, 64, 64]);
    const out = r.dev.wire.inject(testFrame(200, 1));
    expect(out).toMatchObject({ kind: 'delivered', queue: 0, buffers: 4 });
    expect(used(r.queues[0])).toEqual([
      [0, 64],
      [1, 64],
      [2, 64],
      [3, 20],
    ]);
    expect(r.mem.read16((addrs[0] as number) + 10)).toBe(4);
    expect(r.regs.takeInterrupt() & 1).toBe(1);
  });
});

describe('end to end: device events', () => {
  const base = [N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_STATUS];

  it('link down: config status, generation and a config interrupt change; traffic is dropped', () => {
    const r = rig('mmio', {}, base, 2);
    const generation = r.regs.generation();
    expect(r.regs.readConfig(6, 2)).toBe(1);
    r.regs.takeInterrupt();
    expect(r.dev.net.setLinkUp(false)).toEqual({ kind: 'changed' });
    expect(r.regs.generation()).toBe(generation + 1);
    expect(r.regs.takeInterrupt()).toBe(2);
    expect(r.regs.readConfig(6, 2)).toBe(0);
    transmit(r, testFrame(60));
    postRx(r, [1600]);
    expect(r.dev.wire.inject(testFrame(60))).toMatchObject({ kind: 'dropped', reason: 'link-down' });
    expect(r.dev.wire.sent).toHaveLength(0);
    expect(r.dev.counters.txDropReasons['link-down']).toBe(1);
  });

  it('ignores and reports a driver write to config space', () => {
    const r = rig('mmio', {}, base, 2);
    r.regs.writeConfig(0, 1, 0xaa);
    expect(r.regs.readConfig(0, 1)).toBe(0x52);
    expect(r.dev.counters.configWritesIgnored).toBe(1);
    expect(r.dev.events.ofKind('driver-violation').map((e) => e.clause)).toContain('net.cfg.driver.1');
  });

  it('refuses FEATURES_OK for MQ without CTRL_VQ, naming the dependency clause', () => {
    const mem = new GuestMemory(1 << 20);
    const created = createReferenceNetDevice({ addFeatures: ['MQ'], maxVirtqueuePairs: 2 }, { transport: 'mmio', memory: mem });
    if (created.kind !== 'created') throw new Error('refused');
    const up = bringUp(mmioRegisters(created.device.registers), mem, new GuestAllocator(mem, 0x1000), featureMask(VIRTIO_F_VERSION_1, N.VIRTIO_NET_F_MQ), 2);
    expect(up.kind).toBe('features-refused');
    const refusal = created.device.events.ofKind('features-refused')[0]?.refusal;
    expect(refusal?.kind === 'device-rule' ? refusal.clauses : []).toContain('net.featdep.mq.driver');
  });

  it('announces after DRIVER_OK with GUEST_ANNOUNCE and clears it on ANNOUNCE_ACK', () => {
    const wanted = [...base, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_GUEST_ANNOUNCE];
    const r = rig('mmio', { announceOnDriverOk: true }, wanted, 3);
    expect(r.regs.readConfig(6, 2)).toBe(3);
    const generation = r.regs.generation();
    expect(ctrl(r, 2, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, [])).toEqual([VIRTIO_NET_OK, 1]);
    expect(r.regs.readConfig(6, 2)).toBe(1);
    expect(r.regs.generation()).toBe(generation + 1);
  });

  it('does not announce when GUEST_ANNOUNCE was not negotiated (bug D19)', () => {
    const r = rig('mmio', { announceOnDriverOk: true }, [...base, N.VIRTIO_NET_F_CTRL_VQ], 3);
    expect(r.regs.readConfig(6, 2)).toBe(1);
    expect(r.dev.net.requestAnnounce()).toMatchObject({ kind: 'refused' });
  });

  it('sets DEVICE_NEEDS_RESET when the driver corrupts a ring', () => {
    const r = rig('mmio', {}, base, 2);
    const layout = r.layouts[1];
    r.mem.write16((layout?.driverAddr as number) + 2, 1000);
    r.regs.notify(1);
    expect(r.regs.status() & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(r.regs.takeInterrupt() & 2).toBe(2);
    expect(r.dev.wire.inject(testFrame(60))).toMatchObject({ kind: 'dropped', reason: 'not-live' });
  });

  it('after a reset the device is quiet and its config is back to the initial values', () => {
    const r = rig('mmio', {}, [...base, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_MAC_ADDR], 3);
    expect(ctrl(r, 2, 1, 1, [2, 0, 0, 0, 0, 9])).toEqual([VIRTIO_NET_OK, 1]);
    expect(r.regs.readConfig(5, 1)).toBe(9);
    r.regs.setStatus(0);
    expect(r.regs.readConfig(5, 1)).toBe(0x56);
    expect(r.dev.wire.inject(testFrame(60))).toMatchObject({ kind: 'dropped', reason: 'not-live' });
  });
});

describe('end to end: multiqueue', () => {
  const wanted = [N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ, VIRTIO_F_EVENT_IDX];
  const config: NetDeviceConfigInput = { addFeatures: ['MQ'], maxVirtqueuePairs: 2 };
  const flows = Array.from({ length: 24 }, (_, i) => ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', 1000 + i, 80));

  it('uses receiveq1 only until VQ_PAIRS_SET, then steers only to active pairs (net.ctrl.mq.device.1, .2)', () => {
    const r = rig('mmio', config, wanted, 5);
    postRx(r, Array.from({ length: 60 }, () => 2048), 0);
    postRx(r, Array.from({ length: 60 }, () => 2048), 2);
    expect(new Set(flows.map((f) => r.dev.wire.inject(f)).map((o) => (o.kind === 'delivered' ? o.queue : -1)))).toEqual(new Set([0]));
    expect(ctrl(r, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, [3, 0])).toEqual([VIRTIO_NET_ERR, 1]);
    expect(ctrl(r, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, [2, 0])).toEqual([VIRTIO_NET_OK, 1]);
    expect(r.dev.net.activePairs).toBe(2);
    const queues = flows.map((f) => r.dev.wire.inject(f)).map((o) => (o.kind === 'delivered' ? o.queue : -1));
    expect(new Set(queues)).toEqual(new Set([0, 2]));
  });

  it('sends a frame from transmitq2 before VQ_PAIRS_SET but reports net.ctrl.mq.driver.3', () => {
    const r = rig('mmio', config, wanted, 5);
    transmit(r, testFrame(60), 3);
    expect(r.dev.wire.sent.map((s) => s.queue)).toEqual([3]);
    expect(r.dev.counters.txInactiveQueue).toBe(1);
    expect(r.dev.events.ofKind('driver-violation').map((e) => e.clause)).toContain('net.ctrl.mq.driver.3');
  });

  it('steers a reply to the pair its flow was transmitted on (net.ctrl.mq.device.0d)', () => {
    const r = rig('mmio', config, wanted, 5);
    postRx(r, Array.from({ length: 8 }, () => 2048), 0);
    postRx(r, Array.from({ length: 8 }, () => 2048), 2);
    expect(ctrl(r, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, [2, 0])).toEqual([VIRTIO_NET_OK, 1]);
    for (const [pair, sport] of [
      [0, 4000],
      [1, 4001],
    ] as const) {
      transmit(r, ipv4Frame('10.0.0.2', '10.0.0.1', 'tcp', 80, sport), 2 * pair + 1);
      const reply = r.dev.wire.inject(ipv4Frame('10.0.0.1', '10.0.0.2', 'tcp', sport, 80));
      expect(reply).toMatchObject({ kind: 'delivered', queue: 2 * pair });
    }
  });
});

describe('end to end: the queue layout follows negotiation (`net.vq.any.1.device`)', () => {
  // The widest offer: 3 pairs and a controlq, 7 queues.
  const config: NetDeviceConfigInput = { addFeatures: ['MQ'], maxVirtqueuePairs: 3, queueSizes: { rx: 256, tx: 128, ctrl: 32 } };

  /** Reset, ACK, DRIVER on a fresh device; the driver has read nothing yet. */
  function start(transport: NetTransportKind): DriverRegisters {
    const mem = new GuestMemory(1 << 20);
    const created = createReferenceNetDevice(config, { transport, memory: mem });
    if (created.kind !== 'created') throw new Error(created.issues.map((i) => i.message).join('; '));
    const dev = created.device;
    const regs = transport === 'pci' ? pciRegisters(dev.registers as VirtioPciModern) : mmioRegisters(dev.registers as VirtioMmio);
    regs.setStatus(0);
    regs.setStatus(ACK);
    regs.setStatus(ACK | DRIVER);
    return regs;
  }

  /** Writes `features`, sets FEATURES_OK and returns the status read back. */
  function featuresOk(regs: DriverRegisters, features: FeatureSet): number {
    for (let sel = 0; sel < 3; sel++) regs.setDriverFeatures(sel, featureWord(features, sel));
    regs.setStatus(ACK | DRIVER | FEATURES_OK);
    return regs.status();
  }

  /** queue_size (PCI, untouched so the max) or QueueSizeMax (MMIO) of queues 0..count−1. */
  const maxSizes = (regs: DriverRegisters, count: number) => Array.from({ length: count }, (_, i) => regs.selectQueue(i));

  describe.each(['pci', 'mmio'] as const)('over %s', (transport) => {
    it('without MQ queue 2 is the controlq at its own size and queues 3.. read 0; before FEATURES_OK the widest layout shows', () => {
      const regs = start(transport);
      expect(maxSizes(regs, 8)).toEqual([256, 128, 256, 128, 256, 128, 32, 0]);
      expect(featuresOk(regs, featureMask(VIRTIO_F_VERSION_1, N.VIRTIO_NET_F_CTRL_VQ))).toBe(ACK | DRIVER | FEATURES_OK);
      expect(maxSizes(regs, 8)).toEqual([256, 128, 32, 0, 0, 0, 0, 0]);
    });

    it('with MQ queue 2 is receiveq2 and the controlq is at 2 × max_virtqueue_pairs', () => {
      const regs = start(transport);
      expect(featuresOk(regs, featureMask(VIRTIO_F_VERSION_1, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ))).toBe(ACK | DRIVER | FEATURES_OK);
      expect(maxSizes(regs, 8)).toEqual([256, 128, 256, 128, 256, 128, 32, 0]);
    });

    it('without MQ or CTRL_VQ only receiveq1 and transmitq1 exist', () => {
      const regs = start(transport);
      featuresOk(regs, featureMask(VIRTIO_F_VERSION_1));
      expect(maxSizes(regs, 7)).toEqual([256, 128, 0, 0, 0, 0, 0]);
    });

    it('runs the controlq at index 2 without MQ, built at the controlq size', () => {
      const r = rig(transport, config, [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_MAC_ADDR], 3);
      expect(r.dev.core.context.queue(2)?.size).toBe(32);
      expect(ctrl(r, 2, 1, 1, [2, 0, 0, 0, 0, 9])).toEqual([VIRTIO_NET_OK, 1]);
      expect(r.regs.readConfig(5, 1)).toBe(9);
      expect(r.dev.coreCounters.driverViolations).toBe(0);
    });
  });

  it('a device of 1100 queue pairs behind PCI has 2201 queues and the largest MSI-X table, 0x800 vectors', () => {
    const created = createReferenceNetDevice({ addFeatures: ['MQ'], maxVirtqueuePairs: 1100 }, { transport: 'pci', memory: new GuestMemory(1 << 20) });
    if (created.kind !== 'created') throw new Error(created.issues.map((i) => i.message).join('; '));
    const pci = created.device.registers;
    expect([created.device.core.numQueues, pci.layout.msixVectors]).toEqual([2201, 0x800]);
    expect(pci.readConfig(pci.layout.caps.msix + 2, 2) & 0x7ff).toBe(0x7ff); // Table Size is N − 1
  });
});
