import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../catalog/index.js';
import { featureMask, featureName } from '../features/feature-set.js';
import {
  VIRTIO_NET_F_CTRL_MAC_ADDR,
  VIRTIO_NET_F_CTRL_RX,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
  VIRTIO_NET_F_GUEST_USO6,
  VIRTIO_NET_F_HOST_TSO4,
  VIRTIO_NET_F_MRG_RXBUF,
} from '../features/net.js';
import { satisfies } from '../features/requirement.js';
import { checkLayout } from '../layout.js';
import * as ctrl from './ctrl.js';

const loaded = loadCatalog();
if (!loaded.ok) throw new Error(loaded.error.message);
const catalog = loaded.catalog;

describe('control command table', () => {
  it('has 26 distinct (class, command) pairs whose constants agree with the table', () => {
    const table = ctrl.CTRL_COMMANDS;
    expect(table).toHaveLength(26);
    expect(new Set(table.map((c) => `${c.class}/${c.command}`)).size).toBe(26);
    const constants = ctrl as unknown as Record<string, number>;
    for (const c of table) {
      expect(constants[c.className], c.className).toBe(c.class);
      expect(constants[c.name], c.name).toBe(c.command);
    }
  });

  it('ack values', () => {
    expect([ctrl.VIRTIO_NET_OK, ctrl.VIRTIO_NET_ERR]).toEqual([0, 1]);
  });

  it('every gate clause exists in the catalog and is a driver rule', () => {
    for (const c of ctrl.CTRL_COMMANDS) {
      for (const id of [c.gateClause, c.literalGate?.clause]) {
        if (id === null || id === undefined) continue;
        expect(catalog.get(id)?.role, `${c.name}: ${id}`).toBe('driver');
      }
    }
  });

  it('MAC_ADDR_SET is gated by CTRL_MAC_ADDR, with the literal CTRL_RX reading kept (defect 7)', () => {
    const c = ctrl.ctrlCommand(ctrl.VIRTIO_NET_CTRL_MAC, ctrl.VIRTIO_NET_CTRL_MAC_ADDR_SET);
    expect(satisfies(featureMask(VIRTIO_NET_F_CTRL_MAC_ADDR), c!.gate)).toBe(true);
    expect(satisfies(featureMask(VIRTIO_NET_F_CTRL_RX), c!.gate)).toBe(false);
    expect(c!.literalGate).toEqual({ requires: { kind: 'feature', bit: VIRTIO_NET_F_CTRL_RX }, clause: 'net.ctrl.mac.driver.1' });
    expect(ctrl.CTRL_COMMANDS.filter((x) => x.literalGate !== undefined)).toHaveLength(1);
  });

  it('result sizes: only STATS, RSS_CTX CAP_GET and NOTF_COAL VQ_GET return data', () => {
    const withResult = ctrl.CTRL_COMMANDS.filter((c) => c.resultSize !== 0).map((c) => [c.name, c.resultSize]);
    expect(withResult).toEqual([
      ['VIRTIO_NET_CTRL_NOTF_COAL_VQ_GET', 8],
      ['VIRTIO_NET_CTRL_STATS_QUERY', 8],
      ['VIRTIO_NET_CTRL_STATS_GET', 'variable'],
      ['VIRTNET_RSS_CTX_CTRL_CAP_GET', 2],
    ]);
    expect(ctrl.ctrlCommand(9, 4)).toBeUndefined();
  });

  it('since: classes 6 and 7 are 1.3, 8 and 9 are 1.4', () => {
    for (const c of ctrl.CTRL_COMMANDS) {
      const expected = c.class >= 8 ? '1.4' : c.class >= 6 ? '1.3' : '1.2';
      expect(c.since, c.name).toBe(expected);
    }
  });
});

describe('payload layouts', () => {
  it('rss_config is 11 + 2n + k with the documented offsets', () => {
    const l = ctrl.rssConfigLayout(128, 40);
    expect(l.size).toBe(11 + 256 + 40);
    expect(l.fields.indirection_table).toEqual({ offset: 8, size: 256 });
    expect(l.fields.max_tx_vq).toEqual({ offset: 8 + 256, size: 2 });
    expect(l.fields.hash_key_length).toEqual({ offset: 10 + 256, size: 1 });
    expect(l.fields.hash_key_data).toEqual({ offset: 11 + 256, size: 40 });
    expect(ctrl.virtio_net_rss_config_head.size).toBe(8);
  });

  it('hash_config is the RSS layout with n = 1', () => {
    const h = ctrl.hashConfigLayout(40);
    const r = ctrl.rssConfigLayout(1, 40);
    expect(h.size).toBe(r.size);
    expect(h.fields.hash_key_length.offset).toBe(r.fields.hash_key_length.offset);
    expect(h.fields.reserved).toEqual({ offset: 4, size: 8 });
  });

  it('fixed payload sizes', () => {
    expect(ctrl.virtio_net_ctrl_coal.size).toBe(8);
    expect(ctrl.virtio_net_ctrl_coal_vq.size).toBe(12);
    expect(ctrl.virtio_net_ctrl_coal_vq.fields.max_packets.offset).toBe(4);
    expect(ctrl.virtio_net_ctrl_coal_vq_get.size).toBe(4);
    expect(ctrl.virtio_net_rss_ctx_head.size).toBe(8);
    expect(ctrl.macTableSetSize(0, 0)).toBe(8);
    expect(ctrl.macTableSetSize(2, 1)).toBe(26);
    expect(ctrl.virtio_net_ctrl_queue_stats.size).toBe(16);
    expect(ctrl.virtio_net_stats_reply_hdr.size).toBe(8);
  });
});

describe('offloads mask (defect 6)', () => {
  it('maps feature bits to mask bits, tunnel offloads to 46 / 47', () => {
    expect(ctrl.OFFLOADS.map((o) => [featureName(o.feature), o.maskBit])).toEqual([
      ['VIRTIO_NET_F_GUEST_CSUM', 1],
      ['VIRTIO_NET_F_GUEST_TSO4', 7],
      ['VIRTIO_NET_F_GUEST_TSO6', 8],
      ['VIRTIO_NET_F_GUEST_ECN', 9],
      ['VIRTIO_NET_F_GUEST_UFO', 10],
      ['VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO', 46],
      ['VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM', 47],
      ['VIRTIO_NET_F_GUEST_USO4', 54],
      ['VIRTIO_NET_F_GUEST_USO6', 55],
    ]);
    expect(ctrl.offloadMaskBit(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM)).toBe(47);
    expect(ctrl.offloadMaskBit(VIRTIO_NET_F_MRG_RXBUF)).toBeNull();
    expect(ctrl.offloadFeature(46)).toBe(VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO);
    expect(ctrl.offloadFeature(2)).toBeNull();
  });

  it('offloadsMask enables exactly the negotiated receive offloads', () => {
    const f = featureMask(VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO, VIRTIO_NET_F_GUEST_USO6, VIRTIO_NET_F_HOST_TSO4);
    expect(ctrl.offloadsMask(f)).toBe((1n << 1n) | (1n << 7n) | (1n << 46n) | (1n << 55n));
  });
});

describe('statistics', () => {
  it('reply sizes and types match facts.md §7.5', () => {
    expect(ctrl.STATS_TYPES.map((s) => [s.name, s.replyType, s.layout.size])).toEqual([
      ['cvq', 32, 24],
      ['rx_basic', 0, 56],
      ['rx_csum', 1, 40],
      ['rx_gso', 2, 40],
      ['rx_speed', 3, 24],
      ['tx_basic', 16, 56],
      ['tx_csum', 17, 24],
      ['tx_gso', 18, 56],
      ['tx_speed', 19, 24],
    ]);
    for (const s of ctrl.STATS_TYPES) {
      expect(s.mask).toBe(1n << BigInt(s.replyType));
      expect(checkLayout(s.layout).kind).toBe('layout-ok');
    }
    expect(ctrl.statsTypeByReply(17)?.name).toBe('tx_csum');
  });
});
