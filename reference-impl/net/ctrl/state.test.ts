import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import * as F from '../../../specs/features/net.js';
import { CTRL_COMMANDS, VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import * as H from '../../../specs/net/hash.js';
import { mac } from '../filter/test-frames.js';
import type { NetControlState } from './state.js';
import { coalPayload, coalVqPayload, hashConfigPayload, le16, le32, le64, macTablePayload, rssConfigPayload } from './test-payloads.js';
import { BARE, DEVICE_MAC, FULL, makeState, snapshot } from './test-state.js';

const UC1 = mac('52:54:00:aa:00:01');
const UC2 = mac('52:54:00:aa:00:02');
const MC1 = mac('01:00:5e:00:00:01');

/** One valid command per (class, command) of 1.2 and 1.3, and what it must change. */
interface Valid {
  readonly name: string;
  readonly klass: number;
  readonly cmd: number;
  readonly payload: Uint8Array;
  readonly room?: number;
  readonly check: (s: NetControlState) => void;
}

const VALID: readonly Valid[] = [
  { name: 'RX PROMISC 0', klass: 0, cmd: 0, payload: Uint8Array.of(0), check: (s) => expect(s.promisc).toBe(false) },
  { name: 'RX ALLMULTI 1', klass: 0, cmd: 1, payload: Uint8Array.of(1), check: (s) => expect(s.allmulti).toBe(true) },
  { name: 'RX ALLUNI 1', klass: 0, cmd: 2, payload: Uint8Array.of(1), check: (s) => expect(s.alluni).toBe(true) },
  { name: 'RX NOMULTI 1', klass: 0, cmd: 3, payload: Uint8Array.of(1), check: (s) => expect(s.nomulti).toBe(true) },
  { name: 'RX NOUNI 1', klass: 0, cmd: 4, payload: Uint8Array.of(1), check: (s) => expect(s.nouni).toBe(true) },
  { name: 'RX NOBCAST 1', klass: 0, cmd: 5, payload: Uint8Array.of(1), check: (s) => expect(s.nobcast).toBe(true) },
  {
    name: 'MAC TABLE_SET 2 uc + 1 mc',
    klass: 1,
    cmd: 0,
    payload: macTablePayload([UC1, UC2], [MC1]),
    check: (s) => {
      expect(s.unicastMacs).toEqual(['52:54:00:aa:00:01', '52:54:00:aa:00:02']);
      expect(s.multicastMacs).toEqual(['01:00:5e:00:00:01']);
    },
  },
  { name: 'MAC ADDR_SET', klass: 1, cmd: 1, payload: UC2, check: (s) => expect(s.mac).toEqual(UC2) },
  { name: 'VLAN ADD 4095', klass: 2, cmd: 0, payload: le16(4095), check: (s) => expect([...s.vlans]).toEqual([4095]) },
  { name: 'VLAN DEL 7 (absent)', klass: 2, cmd: 1, payload: le16(7), check: (s) => expect(s.vlans.size).toBe(0) },
  { name: 'ANNOUNCE ACK (none pending)', klass: 3, cmd: 0, payload: new Uint8Array(0), check: (s) => expect(s.announcePending).toBe(false) },
  { name: 'MQ VQ_PAIRS_SET 4', klass: 4, cmd: 0, payload: le16(4), check: (s) => expect([s.activePairs, s.txPairs]).toEqual([4, 4]) },
  {
    name: 'MQ RSS_CONFIG',
    klass: 4,
    cmd: 1,
    payload: rssConfigPayload({ hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, table: [0, 1, 2, 1], maxTxVq: 2 }),
    check: (s) => {
      expect(s.rss?.indirectionTable).toEqual(Uint16Array.of(0, 1, 2, 1));
      expect([s.activePairs, s.txPairs]).toEqual([3, 2]);
      expect(s.hashConfig.hashTypes).toBe(H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4);
    },
  },
  {
    name: 'MQ HASH_CONFIG',
    klass: 4,
    cmd: 2,
    payload: hashConfigPayload(H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6),
    check: (s) => expect([s.hashConfig.hashTypes, s.rss]).toEqual([H.VIRTIO_NET_RSS_HASH_TYPE_UDPv6, null]),
  },
  { name: 'GUEST_OFFLOADS SET csum only', klass: 5, cmd: 0, payload: le64(0x2n), check: (s) => expect(s.guestOffloads).toBe(0x2n) },
  { name: 'NOTF_COAL TX_SET', klass: 6, cmd: 0, payload: coalPayload(16, 100), check: (s) => expect([s.coalescing.get(1), s.coalescing.get(7), s.coalescing.get(0)]).toEqual([{ maxPackets: 16, maxUsecs: 100 }, { maxPackets: 16, maxUsecs: 100 }, { maxPackets: 0, maxUsecs: 0 }]) },
  { name: 'NOTF_COAL RX_SET', klass: 6, cmd: 1, payload: coalPayload(8, 50), check: (s) => expect([s.coalescing.get(0), s.coalescing.get(6), s.coalescing.get(1)]).toEqual([{ maxPackets: 8, maxUsecs: 50 }, { maxPackets: 8, maxUsecs: 50 }, { maxPackets: 0, maxUsecs: 0 }]) },
  { name: 'NOTF_COAL VQ_SET q3 (reserved ignored)', klass: 6, cmd: 2, payload: coalVqPayload(3, 4, 9, 0xffff), check: (s) => expect([s.coalescing.get(3), s.coalescing.get(1)]).toEqual([{ maxPackets: 4, maxUsecs: 9 }, { maxPackets: 0, maxUsecs: 0 }]) },
  { name: 'NOTF_COAL VQ_GET q0', klass: 6, cmd: 3, payload: Uint8Array.of(0, 0, 0, 0), room: 8, check: () => {} },
  { name: 'HASH_TUNNEL SET 0', klass: 7, cmd: 0, payload: le32(0), check: (s) => expect(s.enabledTunnelTypes).toBe(0) },
];

describe('NetControlState after reset', () => {
  it('starts promiscuous with empty tables, one pair, every negotiated offload, nothing hashed', () => {
    const s = makeState();
    expect([s.promisc, s.allmulti, s.alluni, s.nomulti, s.nouni, s.nobcast]).toEqual([true, false, false, false, false, false]);
    expect([s.unicastMacs, s.multicastMacs, [...s.vlans]]).toEqual([[], [], []]);
    expect([s.activePairs, s.txPairs, s.queuePairs]).toEqual([1, 1, 4]);
    expect(s.guestOffloads).toBe((1n << 1n) | (1n << 7n));
    expect([s.rss, s.hashConfig.hashTypes, s.announcePending]).toEqual([null, 0, false]);
    expect(s.coalescing.get(5)).toEqual({ maxPackets: 0, maxUsecs: 0 });
    expect(s.mac).toEqual(DEVICE_MAC);
  });

  it('honours initialPromisc: false; N is 1 without MQ or RSS', () => {
    expect(makeState(FULL, { initialPromisc: false }).promisc).toBe(false);
    expect(makeState(BARE).queuePairs).toBe(1);
    expect(makeState(BARE).coalescing.queueCount).toBe(2);
  });
});

describe('every command: valid payload acks OK and takes effect', () => {
  it.each(VALID)('$name', ({ klass, cmd, payload, room, check }) => {
    const s = makeState();
    const out = s.handleCommand(klass, cmd, payload, room ?? 0);
    expect(out).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_OK });
    check(s);
  });

  it('covers every 1.2 / 1.3 command of CTRL_COMMANDS', () => {
    const covered = new Set(VALID.map((v) => `${v.klass}/${v.cmd}`));
    const wanted = CTRL_COMMANDS.filter((c) => c.since !== '1.4').map((c) => `${c.class}/${c.command}`);
    expect(wanted.filter((k) => !covered.has(k))).toEqual([]);
  });
});

describe('every command: truncated, oversized and ungated payloads get ERR and change nothing', () => {
  const withData = VALID.filter((v) => v.payload.length > 0);
  it.each(withData)('$name: every strict prefix', ({ klass, cmd, payload, room }) => {
    for (let cut = 0; cut < payload.length; cut++) {
      const s = makeState();
      const before = snapshot(s);
      const out = s.handleCommand(klass, cmd, payload.subarray(0, cut), room ?? 0);
      expect(out, `cut at ${cut}`).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
      expect(snapshot(s)).toEqual(before);
    }
  });

  it.each(VALID)('$name: one trailing byte (strict)', ({ klass, cmd, payload, room }) => {
    const s = makeState();
    const before = snapshot(s);
    expect(s.handleCommand(klass, cmd, Uint8Array.of(...payload, 0), room ?? 0)).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
    expect(snapshot(s)).toEqual(before);
  });

  it.each(VALID)('$name: without its feature', ({ klass, cmd, payload, room }) => {
    const s = makeState(BARE);
    const before = snapshot(s);
    const info = CTRL_COMMANDS.find((c) => c.class === klass && c.command === cmd);
    const out = s.handleCommand(klass, cmd, payload, room ?? 0);
    expect(out).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
    if (info?.gateClause !== null && out.kind === 'ack') expect(out.clause).toBe(info?.gateClause);
    expect(snapshot(s)).toEqual(before);
  });

  it('the needs-reset policy turns malformed payloads, and only those, into DEVICE_NEEDS_RESET', () => {
    const s = makeState(FULL, { onMalformed: 'needs-reset' });
    expect(s.handleCommand(1, 0, le32(5), 0)).toMatchObject({ kind: 'needs-reset' });
    expect(s.handleCommand(4, 0, le16(9), 0)).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
    expect(s.handleCommand(99, 0, new Uint8Array(0), 0)).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
  });
});

describe('unknown, unsupported and out-of-range commands get ERR', () => {
  const cases: [string, number, number, Uint8Array, number, string | undefined][] = [
    ['class 99', 99, 0, new Uint8Array(0), 0, undefined],
    ['RX command 6', 0, 6, Uint8Array.of(1), 0, undefined],
    ['MQ command 3', 4, 3, new Uint8Array(0), 0, undefined],
    ['NOTF_COAL command 4', 6, 4, new Uint8Array(0), 0, undefined],
    ['PROMISC 2 (strict)', 0, 0, Uint8Array.of(2), 0, undefined],
    ['VLAN ADD 4096', 2, 0, le16(4096), 0, undefined],
    ['VQ_PAIRS_SET 0', 4, 0, le16(0), 0, 'net.ctrl.mq.driver.2'],
    ['VQ_PAIRS_SET 5 > max 4', 4, 0, le16(5), 0, 'net.ctrl.mq.driver.2'],
    ['VQ_PAIRS_SET 0x8001', 4, 0, le16(0x8001), 0, 'net.ctrl.mq.driver.2'],
    ['RSS table entry past N', 4, 1, rssConfigPayload({ hashTypes: 1, table: [0, 4] }), 0, 'net.ctrl.rss.driver.2'],
    ['RSS table length 3', 4, 1, rssConfigPayload({ hashTypes: 1, table: [0, 0, 0] }), 0, 'net.ctrl.rss.driver.3'],
    ['GUEST_OFFLOADS with TSO6 not negotiated', 5, 0, le64(1n << 8n), 0, 'net.ctrl.offloads.driver.1'],
    ['GUEST_OFFLOADS with a bit no offload uses', 5, 0, le64(1n << 3n), 0, 'net.ctrl.offloads.driver.1'],
    ['VQ_SET on the controlq', 6, 2, coalVqPayload(8, 1, 1), 0, 'net.ctrl.coal.device.4'],
    ['VQ_SET past the controlq', 6, 2, coalVqPayload(9, 1, 1), 0, 'net.ctrl.coal.device.4'],
    ['VQ_GET on the controlq', 6, 3, Uint8Array.of(8, 0, 0, 0), 8, 'net.ctrl.coal.device.4'],
    ['VQ_GET without result room', 6, 3, Uint8Array.of(0, 0, 0, 0), 7, undefined],
    ['HASH_TUNNEL_SET VXLAN (unsupported)', 7, 0, le32(H.VIRTIO_NET_HASH_TUNNEL_TYPE_VXLAN), 0, 'net.ctrl.hashtun.device.2'],
    ['MAC_TABLE_SET count beyond the bytes', 1, 0, macTablePayload([UC1], [], [2, 0]), 0, undefined],
    ['MAC_TABLE_SET huge multicast count', 1, 0, macTablePayload([], [MC1], [0, 0xffffffff]), 0, undefined],
  ];
  it.each(cases)('%s', (_name, klass, cmd, payload, room, clause) => {
    const s = makeState();
    const before = snapshot(s);
    const out = s.handleCommand(klass, cmd, payload, room);
    expect(out).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
    if (out.kind === 'ack') {
      expect(out.reason).toBeTypeOf('string');
      expect(out.clause).toBe(clause);
      expect(out.result).toBeUndefined();
    }
    expect(snapshot(s)).toEqual(before);
  });

  it('1.4 STATS and RSS_CTX are refused even when negotiated', () => {
    const s = makeState(FULL | featureMask(F.VIRTIO_NET_F_DEVICE_STATS, F.VIRTIO_NET_F_RSS_CONTEXT));
    expect(s.handleCommand(8, 0, new Uint8Array(0), 8)).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
    expect(s.handleCommand(9, 0, new Uint8Array(0), 2)).toMatchObject({ kind: 'ack', ack: VIRTIO_NET_ERR });
  });

  it('VQ_SET / VQ_GET on a queue the transport has not enabled', () => {
    const s = makeState(FULL, { queueEnabled: (i) => i < 2 });
    expect(s.handleCommand(6, 2, coalVqPayload(2, 1, 1), 0)).toMatchObject({ ack: VIRTIO_NET_ERR, clause: 'net.ctrl.coal.device.4' });
    expect(s.handleCommand(6, 2, coalVqPayload(1, 1, 1), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
  });
});

describe('command semantics', () => {
  it('RX modes switch on and off; lenient mode takes any non-zero byte and ignores extra bytes', () => {
    const s = makeState();
    s.handleCommand(0, 3, Uint8Array.of(1), 0);
    s.handleCommand(0, 3, Uint8Array.of(0), 0);
    expect(s.nomulti).toBe(false);
    const lenient = makeState(FULL, { strict: false });
    expect(lenient.handleCommand(0, 1, Uint8Array.of(2, 9), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect(lenient.allmulti).toBe(true);
  });

  it('MAC_TABLE_SET replaces both tables; a class over capacity overflows to accept-all', () => {
    const s = makeState(FULL, { macTableCapacity: 1 });
    s.handleCommand(1, 0, macTablePayload([UC1], [MC1]), 0);
    expect([s.unicastMacs, s.multicastMacs, s.unicastOverflow]).toEqual([['52:54:00:aa:00:01'], ['01:00:5e:00:00:01'], false]);
    s.handleCommand(1, 0, macTablePayload([UC1, UC2], []), 0);
    expect([s.unicastMacs, s.multicastMacs, s.unicastOverflow, s.multicastOverflow]).toEqual([[], [], true, false]);
    s.handleCommand(1, 0, macTablePayload([], []), 0);
    expect(s.unicastOverflow).toBe(false);
  });

  it('MAC_ADDR_SET reports the config effect and moves the filter to the new address', () => {
    const s = makeState();
    s.handleCommand(0, 0, Uint8Array.of(0), 0);
    expect(s.handleCommand(1, 1, UC1, 0)).toEqual({ kind: 'ack', ack: VIRTIO_NET_OK, configEffect: 'mac' });
    const to = (m: Uint8Array): Uint8Array => Uint8Array.of(...m, ...DEVICE_MAC, 0x08, 0x00, ...new Uint8Array(46));
    expect([s.rxFilterAccepts(to(UC1)), s.rxFilterAccepts(to(DEVICE_MAC))]).toEqual([true, false]);
  });

  it('MAC_ADDR_SET needs CTRL_MAC_ADDR, not CTRL_RX (specs/net/ctrl.ts decision)', () => {
    const s = makeState(BARE | featureMask(F.VIRTIO_NET_F_CTRL_MAC_ADDR));
    expect(s.handleCommand(1, 1, UC1, 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect(s.handleCommand(1, 0, macTablePayload([], []), 0)).toMatchObject({ ack: VIRTIO_NET_ERR, clause: 'net.ctrl.mac.driver.1' });
  });

  it('ANNOUNCE: requestAnnounce sets it, ANNOUNCE_ACK clears it with a config effect', () => {
    const s = makeState();
    expect(s.requestAnnounce()).toBe(true);
    expect(s.announcePending).toBe(true);
    expect(s.handleCommand(3, 0, new Uint8Array(0), 0)).toEqual({ kind: 'ack', ack: VIRTIO_NET_OK, configEffect: 'announce' });
    expect(s.announcePending).toBe(false);
    expect(makeState(BARE).requestAnnounce()).toBe(false);
  });

  it('VLAN ADD / DEL', () => {
    const s = makeState();
    for (const v of [1, 100, 100, 4095]) s.handleCommand(2, 0, le16(v), 0);
    s.handleCommand(2, 1, le16(1), 0);
    expect([...s.vlans].sort((a, b) => a - b)).toEqual([100, 4095]);
  });

  it('last command wins: RSS_CONFIG, then VQ_PAIRS_SET, then HASH_CONFIG', () => {
    const s = makeState();
    s.handleCommand(4, 1, rssConfigPayload({ hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4, table: [3, 2], maxTxVq: 1 }), 0);
    expect([s.rss !== null, s.activePairs, s.txPairs]).toEqual([true, 4, 1]);
    s.handleCommand(4, 0, le16(2), 0);
    expect([s.rss, s.activePairs, s.txPairs, s.hashConfig.hashTypes]).toEqual([null, 2, 2, H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4]);
    s.handleCommand(4, 1, rssConfigPayload({ hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_IPv4, table: [1] }), 0);
    s.handleCommand(4, 2, hashConfigPayload(H.VIRTIO_NET_RSS_HASH_TYPE_IPv6), 0);
    expect([s.rss, s.activePairs, s.hashConfig.hashTypes]).toEqual([null, 2, H.VIRTIO_NET_RSS_HASH_TYPE_IPv6]);
  });

  it('VQ_PAIRS_SET needs MQ even when RSS is negotiated', () => {
    const s = makeState(BARE | featureMask(F.VIRTIO_NET_F_RSS));
    expect(s.queuePairs).toBe(4);
    expect(s.handleCommand(4, 0, le16(2), 0)).toMatchObject({ ack: VIRTIO_NET_ERR });
    expect(s.handleCommand(4, 1, rssConfigPayload({ hashTypes: 1, table: [2] }), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
  });

  it('coalescing: VQ_SET after TX_SET wins for its queue; VQ_GET returns le32 pairs; re-enable reverts', () => {
    const s = makeState();
    s.handleCommand(6, 0, coalPayload(10, 20), 0);
    s.handleCommand(6, 2, coalVqPayload(3, 1, 2), 0);
    const get = s.handleCommand(6, 3, Uint8Array.of(3, 0, 0, 0), 8);
    expect(get).toEqual({ kind: 'ack', ack: VIRTIO_NET_OK, result: Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0) });
    expect(s.coalescing.get(1)).toEqual({ maxPackets: 10, maxUsecs: 20 });
    s.queueReenabled(3);
    expect(s.coalescing.get(3)).toEqual({ maxPackets: 10, maxUsecs: 20 });
    s.handleCommand(6, 0, coalPayload(5, 5), 0);
    expect(s.coalescing.get(3)).toEqual({ maxPackets: 5, maxUsecs: 5 });
  });

  it('legacy big-endian guest: guest-native counts, VLAN id, pairs and offloads', () => {
    const legacy = FULL & ~(1n << 32n);
    const s = makeState(legacy, {}, { maxVirtqueuePairs: 4, mac: DEVICE_MAC, rssMaxKeySize: 40, rssMaxIndirectionTableLength: 128, supportedHashTypes: 0x1ff, legacyGuestEndian: 'big' });
    expect(s.handleCommand(2, 0, Uint8Array.of(0, 100), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect(s.handleCommand(4, 0, Uint8Array.of(0, 3), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect(s.handleCommand(1, 0, Uint8Array.of(0, 0, 0, 1, ...UC1, 0, 0, 0, 0), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect(s.handleCommand(5, 0, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 2), 0)).toMatchObject({ ack: VIRTIO_NET_OK });
    expect([[...s.vlans], s.activePairs, s.unicastMacs, s.guestOffloads]).toEqual([[100], 3, ['52:54:00:aa:00:01'], 2n]);
  });

  it('reset() restores the initial state after any programming', () => {
    const s = makeState();
    const initial = snapshot(s);
    for (const v of VALID) s.handleCommand(v.klass, v.cmd, v.payload, v.room ?? 0);
    s.requestAnnounce();
    expect(snapshot(s)).not.toEqual(initial);
    s.reset();
    expect(snapshot(s)).toEqual(initial);
  });
});

describe('robustness', () => {
  test.prop([fc.array(fc.record({ klass: fc.nat(12), cmd: fc.nat(6), payload: fc.uint8Array({ maxLength: 300 }), room: fc.nat(16) }), { maxLength: 40 })], { numRuns: 300 })(
    'any command sequence gets an ack 0/1 for each command and keeps the pair counts in range',
    (cmds) => {
      const s = makeState();
      for (const c of cmds) {
        const out = s.handleCommand(c.klass, c.cmd, c.payload, c.room);
        expect(out.kind).toBe('ack');
        if (out.kind === 'ack') {
          expect([VIRTIO_NET_OK, VIRTIO_NET_ERR]).toContain(out.ack);
          if (out.ack === VIRTIO_NET_ERR) expect(out.reason).toBeTypeOf('string');
          if (out.result !== undefined) expect(out.result.length).toBeLessThanOrEqual(c.room);
        }
        expect(s.activePairs).toBeGreaterThanOrEqual(1);
        expect(s.activePairs).toBeLessThanOrEqual(s.queuePairs);
        expect(s.txPairs).toBeLessThanOrEqual(s.activePairs);
      }
    },
  );
});
