/**
 * End to end against the reference device, over virtio-pci modern and
 * virtio-mmio, split and packed rings: probe, open, traffic both ways,
 * every operation, stop, remove. The front end reaches the device only
 * through its register window and guest memory; the test plays the far end
 * of the wire and flips device-side controls (link, announce) the way a
 * host would.
 */
import { describe, expect, test } from 'vitest';
import * as N from '../../../specs/features/net.js';
import * as C from '../../../specs/net/ctrl.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import type { NetTransportKind, ReferenceNetDevice } from '../../net/reference-net-device.js';
import { attached, bench, ethFrame } from './e2e-fixture.js';
import { NETIF_F_GRO_HW, NETIF_F_RXHASH } from './features.js';
import { makeSkb } from './skb.js';

/** A full-featured device. */
const FULL = {
  addFeatures: ['MQ', 'RSS', 'HASH_REPORT', 'NOTF_COAL', 'MTU', 'SPEED_DUPLEX'],
  maxVirtqueuePairs: 4,
  mtu: 1500,
  speed: 10000,
  duplex: 'full',
  queueSizes: { rx: 128, tx: 128, ctrl: 64 },
};

const ctrlSeen = (d: ReferenceNetDevice<NetTransportKind>) => d.netEvents.ofKind('ctrl-command').map((e) => [e.klass, e.command, e.ack]);

const CASES = [
  ['pci', 'split'],
  ['pci', 'packed'],
  ['mmio', 'split'],
  ['mmio', 'packed'],
] as const;

describe.each(CASES)('front end over %s, %s ring', (transport, ring) => {
  const config = { ...FULL, ringFormats: ring === 'packed' ? ['packed'] : ['split'] };
  const setup = async (extra: object = {}) => {
    const b = bench(transport, { ...config, ...extra });
    const fe = await attached(b, { onlineCpus: 2 });
    return { b, fe, d: b.device };
  };

  test('probe: status 0x0F, one feature write, Linux decisions, VQ_PAIRS_SET(curr) after DRIVER_OK', async () => {
    const { fe, d } = await setup();
    expect(d.core.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    expect(fe.vdev.featureWrites.length).toBe(1);
    const vi = fe.vi;
    expect({ hdr: vi.hdrLen, mode: vi.rxMode, max: vi.maxQueuePairs, curr: vi.currQueuePairs }).toEqual({ hdr: 20, mode: 'mergeable', max: 4, curr: 2 });
    expect(ctrlSeen(d)[0]).toEqual([C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, C.VIRTIO_NET_OK]);
    expect([...vi.dev.devAddr]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect({ carrier: vi.dev.carrier, speed: vi.speed, duplex: vi.duplex, mtu: vi.dev.mtu, maxMtu: vi.dev.maxMtu }).toEqual({ carrier: true, speed: 10000, duplex: 1, mtu: 1500, maxMtu: 1500 });
    expect(fe.ethtool.getDrvinfo()).toEqual({ driver: 'virtio_net', version: '1.0.0', busInfo: transport });
  });

  test('open, traffic both ways, stats, stop, remove', async () => {
    const { fe, d } = await setup();
    expect(await fe.netdev.open()).toBe(0);
    await fe.settle();
    // ndo_set_rx_mode at ifup: PROMISC, ALLMULTI, MAC TABLE_SET.
    expect(ctrlSeen(d).slice(1)).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const peer = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
    for (let i = 0; i < 300; i++) {
      const r = await fe.netdev.xmit(makeSkb(ethFrame(peer, 60 + (i % 1400), i), { queueMapping: i % 2 }));
      expect(r.kind === 'queued' || r.kind === 'backlogged').toBe(true);
      if (i % 50 === 49) await fe.settle();
    }
    await fe.settle();
    expect(d.wire.sent.length).toBe(300);
    expect([...(d.wire.sent[7]?.frame ?? [])]).toEqual([...ethFrame(peer, 67, 7)]);
    for (let i = 0; i < 300; i++) {
      const out = d.wire.inject(ethFrame(fe.vi.dev.devAddr, 64 + i * 3, i));
      expect(out.kind).toBe('delivered');
      if (i % 40 === 39) await fe.settle();
    }
    await fe.settle();
    expect(fe.vi.delivered.length).toBe(300);
    expect([...(fe.vi.delivered[5]?.data ?? [])]).toEqual([...ethFrame(fe.vi.dev.devAddr, 79, 5)]);
    const s = fe.netdev.stats();
    expect({ tx: s.tx_packets, rx: s.rx_packets, drop: s.rx_dropped, len: s.rx_length_errors }).toEqual({ tx: 300, rx: 300, drop: 0, len: 0 });
    const strings = fe.ethtool.getStrings();
    expect(strings.length).toBe(2 * 8 + 2 * 6);
    expect(strings[0]).toBe('rx_queue_0_packets');
    expect(fe.ethtool.getEthtoolStats().length).toBe(strings.length);
    expect(await fe.netdev.close()).toBe(0);
    await fe.remove();
    expect(d.core.status).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    expect(d.events.ofKind('reset').length).toBeGreaterThanOrEqual(2);
    expect(d.events.ofKind('needs-reset')).toEqual([]);
    expect(d.events.ofKind('driver-violation')).toEqual([]);
  });

  test('rx mode and filters, MAC change through MAC_ADDR_SET, VLANs', async () => {
    const { fe, d } = await setup();
    await fe.netdev.open();
    await fe.settle();
    const stranger = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
    expect(d.wire.inject(ethFrame(stranger, 80)).kind).toBe('dropped');
    await fe.netdev.setPromisc(true);
    expect(d.wire.inject(ethFrame(stranger, 80)).kind).toBe('delivered');
    await fe.netdev.setPromisc(false);
    await fe.netdev.setAddressLists([stranger], [Uint8Array.of(0x01, 0, 0x5e, 0, 0, 1)]);
    expect(d.wire.inject(ethFrame(stranger, 80)).kind).toBe('delivered');
    expect(d.wire.inject(ethFrame(Uint8Array.of(0x01, 0, 0x5e, 0, 0, 1), 80)).kind).toBe('delivered');
    expect(d.wire.inject(ethFrame(Uint8Array.of(0x01, 0, 0x5e, 0, 0, 2), 80)).kind).toBe('dropped');
    const mac = Uint8Array.of(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
    expect(await fe.netdev.setMacAddress(mac)).toBe(0);
    const cfgMac = await fe.vdev.creadBytes(0, 6);
    expect(cfgMac.kind === 'ok' && [...cfgMac.value]).toEqual([...mac]);
    expect(d.wire.inject(ethFrame(mac, 80)).kind).toBe('delivered');
    expect(await fe.netdev.setMacAddress(Uint8Array.of(1, 2, 3, 4, 5, 6))).toBe(-99);
    expect(await fe.netdev.vlanVidAdd(100)).toBe(0);
    expect(await fe.netdev.vlanVidDel(100)).toBe(0);
    expect(ctrlSeen(d).filter(([k]) => k === C.VIRTIO_NET_CTRL_VLAN)).toEqual([
      [2, 0, 0],
      [2, 1, 0],
    ]);
    expect(fe.vi.log.filter((l) => l.level === 'warn')).toEqual([]);
  });

  test('set_features (GRO_HW, RXHASH), channels, coalesce, RSS, link settings, ring sizes', async () => {
    const { fe, d } = await setup();
    const before = ctrlSeen(d).length;
    expect(await fe.netdev.setFeatures(fe.vi.dev.features & ~NETIF_F_GRO_HW)).toBe(0);
    expect(await fe.netdev.setFeatures(fe.vi.dev.features | NETIF_F_RXHASH)).toBe(0);
    expect(ctrlSeen(d).slice(before)).toEqual([
      [C.VIRTIO_NET_CTRL_GUEST_OFFLOADS, 0, 0],
      [C.VIRTIO_NET_CTRL_MQ, C.VIRTIO_NET_CTRL_MQ_RSS_CONFIG, 0],
    ]);
    expect(fe.vi.guestOffloads).toBe(1n << 1n);
    expect(await fe.ethtool.setChannels({ combinedCount: 3 })).toBe(0);
    expect(fe.ethtool.getChannels()).toMatchObject({ combinedCount: 3, maxCombined: 4 });
    expect(await fe.ethtool.setChannels({ combinedCount: 5 })).toBe(-22);
    expect(await fe.ethtool.setCoalesce({ rxCoalesceUsecs: 10, txCoalesceUsecs: 20, rxMaxCoalescedFrames: 4, txMaxCoalescedFrames: 8 })).toBe(0);
    expect(fe.ethtool.getCoalesce()).toEqual({ rxCoalesceUsecs: 10, txCoalesceUsecs: 20, rxMaxCoalescedFrames: 4, txMaxCoalescedFrames: 8 });
    expect(await fe.ethtool.setRxfh(new Array(128).fill(0).map((_, i) => i % 3), null, 1)).toBe(0);
    expect(fe.ethtool.getRxfh().indir.slice(0, 4)).toEqual([0, 1, 2, 0]);
    expect(await fe.ethtool.setRxfh(null, null, 2)).toBe(-95);
    expect(fe.ethtool.getRxfhKeySize()).toBe(40);
    expect(await fe.ethtool.setRxnfcHashflow('tcp4', (1 << 4) | (1 << 5))).toBe(0);
    expect(ctrlSeen(d).slice(before + 2).map(([k, c]) => [k, c])).toEqual([
      [4, 0],
      [6, 0],
      [6, 1],
      [4, 1],
      [4, 1],
    ]);
    expect(ctrlSeen(d).every(([, , ack]) => ack === 0)).toBe(true);
    expect(fe.ethtool.setLinkKsettings({ speed: 100, duplex: 0, port: 0xff, autoneg: 0 })).toBe(0);
    expect(fe.ethtool.getLinkKsettings()).toEqual({ speed: 100, duplex: 0, port: 0xff, autoneg: 0 });
    expect(fe.ethtool.setLinkKsettings({ speed: 100, duplex: 0, port: 0, autoneg: 0 })).toBe(-22);
    const rp = fe.ethtool.getRingparam();
    expect(rp).toEqual({ rxMaxPending: 128, txMaxPending: 128, rxPending: 128, txPending: 128 });
    expect(await fe.ethtool.setRingparam({ ...rp })).toBe(0);
    expect(await fe.ethtool.setRingparam({ ...rp, rxPending: 256 })).toBe(-22);
  });

  test('link down and up, and a migration announce answered with ANNOUNCE_ACK', async () => {
    const { fe, d } = await setup({ addFeatures: [...FULL.addFeatures, 'GUEST_ANNOUNCE'] });
    await fe.netdev.open();
    d.net.setLinkUp(false);
    await fe.settle();
    expect(fe.vi.dev.carrier).toBe(false);
    expect(fe.vi.dev.txStopped.every(Boolean)).toBe(true);
    d.net.setLinkUp(true);
    await fe.settle();
    expect(fe.vi.dev.carrier).toBe(true);
    expect(fe.vi.dev.txStopped.some(Boolean)).toBe(false);
    d.net.requestAnnounce();
    await fe.settle();
    expect(fe.vi.dev.peerNotifications).toBe(1);
    expect(ctrlSeen(d).at(-1)).toEqual([C.VIRTIO_NET_CTRL_ANNOUNCE, C.VIRTIO_NET_CTRL_ANNOUNCE_ACK, 0]);
  });

  test('XDP: offloads withdrawn, XDP_TX frames with an all-zero header, offloads restored on detach', async () => {
    const { fe, d } = await setup();
    await fe.netdev.open();
    await fe.settle();
    const n = ctrlSeen(d).length;
    expect(await fe.netdev.xdp((frame) => (frame[0] === 0x52 ? 'tx' : 'drop'))).toBe(0);
    await fe.settle();
    // 2 CPUs + 2 pairs fit in 4: VQ_PAIRS_SET(4) for the XDP send queues, then GUEST_OFFLOADS_SET(0).
    expect(ctrlSeen(d).slice(n).map(([k, c]) => [k, c])).toEqual([
      [4, 0],
      [5, 0],
    ]);
    expect(fe.vi.xdpQueuePairs).toBe(2);
    const sent = d.wire.sent.length;
    expect(d.wire.inject(ethFrame(fe.vi.dev.devAddr, 90)).kind).toBe('delivered');
    await fe.settle();
    expect(d.wire.sent.length).toBe(sent + 1);
    const tx = d.wire.sent.at(-1);
    expect(tx?.header.flags).toBe(0);
    expect(tx?.header.gsoType).toBe(0);
    expect(fe.vi.rq.reduce((a, r) => a + r.stats.xdp_tx, 0)).toBe(1);
    expect(await fe.netdev.setFeatures(fe.vi.dev.features & ~NETIF_F_GRO_HW)).toBe(-16);
    expect(await fe.netdev.xdp(null)).toBe(0);
    expect(ctrlSeen(d).slice(-2).map(([k, c]) => [k, c])).toEqual([
      [5, 0],
      [4, 0],
    ]);
    expect(fe.vi.xdpEnabled).toBe(false);
  });

  test('freeze and restore: the device is reset and set up again, traffic resumes', async () => {
    const { fe, d } = await setup();
    await fe.netdev.open();
    await fe.settle();
    await fe.freeze();
    expect(d.core.status).toBe(0);
    expect(await fe.restore()).toBeNull();
    await fe.settle();
    expect(d.core.status & VIRTIO_CONFIG_S_DRIVER_OK).toBe(VIRTIO_CONFIG_S_DRIVER_OK);
    expect(d.wire.inject(ethFrame(fe.vi.dev.devAddr, 100)).kind).toBe('delivered');
    await fe.settle();
    expect(fe.vi.delivered.length).toBe(1);
    await fe.netdev.xmit(makeSkb(ethFrame(Uint8Array.of(2, 0, 0, 0, 0, 1), 70)));
    await fe.settle();
    expect(d.wire.sent.length).toBe(1);
  });

  test('tx_timeout: the watchdog counts a stopped queue that made no progress', async () => {
    const { fe } = await setup();
    await fe.netdev.open();
    fe.vi.dev.txStopped[1] = true;
    expect(fe.netdev.watchdog(Date.now() + 10_000)).toEqual([1]);
    expect(fe.vi.sq[1]?.stats.tx_timeouts).toBe(1);
    expect(fe.netdev.stats().tx_errors).toBe(1);
    expect(fe.vi.log.at(-1)?.message).toMatch(/^TX timeout on queue: 1, sq: output\.1, vq: 0x3, name: output\.1, \d+ usecs ago$/);
  });
});

describe('device offers that change the driver path', () => {
  test('no F_MAC with CTRL_MAC_ADDR: a random locally administered MAC is set with MAC_ADDR_SET after DRIVER_OK', async () => {
    const b = bench('pci', { removeFeatures: ['MAC', 'VIRTIO_F_EVENT_IDX'] });
    const fe = await attached(b);
    expect((fe.vi.dev.devAddr[0] as number) & 3).toBe(2);
    expect(ctrlSeen(b.device)).toEqual([[1, 1, 0]]);
    const cfg = await fe.vdev.creadBytes(0, 6);
    expect(cfg.kind === 'ok' && [...cfg.value]).toEqual([...fe.vi.dev.devAddr]);
  });

  test('no F_STATUS: link assumed up at probe, no config read for it', async () => {
    const b = bench('mmio', { removeFeatures: ['STATUS', 'VIRTIO_F_EVENT_IDX', 'GUEST_ANNOUNCE'] });
    const fe = await attached(b);
    expect(fe.vi.dev.carrier).toBe(true);
    expect(fe.vi.status).toBe(1);
  });

  test('no CTRL_VQ: no control queue, set_rx_mode sends nothing, MAC change stays local', async () => {
    const b = bench('pci', { features: ['VERSION_1', 'MAC', 'STATUS', 'MRG_RXBUF', 'CSUM', 'GUEST_CSUM'] });
    const fe = await attached(b);
    expect(fe.vi.cvq).toBeNull();
    expect(b.device.core.numQueues).toBeGreaterThanOrEqual(2);
    await fe.netdev.open();
    expect(await fe.netdev.setMacAddress(Uint8Array.of(2, 1, 1, 1, 1, 1))).toBe(0);
    const cfg = await fe.vdev.creadBytes(0, 6);
    expect(cfg.kind === 'ok' && [...cfg.value]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect(ctrlSeen(b.device)).toEqual([]);
  });

  test('guest GSO without MRG_RXBUF: big mode, 19-descriptor receive chains, a 9000-byte frame arrives', async () => {
    const b = bench('pci', { removeFeatures: ['MRG_RXBUF', 'VIRTIO_F_EVENT_IDX', 'VIRTIO_F_INDIRECT_DESC'] }, 64 << 20);
    const fe = await attached(b);
    expect(fe.vi.rxMode).toBe('big');
    await fe.netdev.open();
    await fe.settle();
    await fe.netdev.setPromisc(true);
    expect(b.device.wire.inject(ethFrame(fe.vi.dev.devAddr, 9000)).kind).toBe('delivered');
    await fe.settle();
    expect(fe.vi.delivered[0]?.data.length).toBe(9000);
  });
});

describe('control queue with EVENT_IDX', () => {
  // The device must re-arm controlq notifications (avail_event) after each
  // drain, or a Linux-like driver never announces its second command.
  test('with EVENT_IDX every control command at ifup is answered', async () => {
    const b = bench('pci', {});
    const fe = await attached(b, { control: { pollLimit: 50, timeoutMs: 500 } });
    await fe.netdev.open();
    expect(fe.vi.cvq?.history.map((h) => h.outcome.kind)).toEqual(['ok', 'ok', 'ok']);
  });
});

test('packed ring negotiated when offered (VIRTIO_F_RING_PACKED)', async () => {
  const b = bench('mmio', { ...FULL, ringFormats: ['split', 'packed'] });
  const fe = await attached(b);
  expect(fe.vi.rq[0]?.vq.format).toBe('packed');
  expect(fe.vdev.hasFeature(34)).toBe(true);
  expect(fe.vdev.hasFeature(N.VIRTIO_NET_F_CTRL_RX_EXTRA)).toBe(false);
});
