import { describe, expect, it } from 'vitest';
import { VIRTIO_NET_F_MTU } from '../../specs/features/net.js';
import { type ConfigUpdate, NetConfigSpace } from './config-space.js';
import { type NetDeviceConfigInput, parseNetDeviceConfig } from './device-config.js';

function space(input: NetDeviceConfigInput) {
  const r = parseNetDeviceConfig(input);
  if (r.kind !== 'ok') throw new Error(r.issues.map((i) => i.message).join('; '));
  const s = new NetConfigSpace(r.config, r.config.features);
  const log = { changes: 0, undefinedReads: [] as string[], writes: [] as number[] };
  s.connect({
    changed: () => log.changes++,
    undefinedRead: (field) => log.undefinedReads.push(field),
    ignoredWrite: (offset) => log.writes.push(offset),
  });
  return { s, log };
}

const FULL: NetDeviceConfigInput = {
  addFeatures: ['MTU', 'MQ', 'RSS', 'SPEED_DUPLEX', 'HASH_REPORT'],
  mac: '02:11:22:33:44:55',
  mtu: 9000,
  maxVirtqueuePairs: 4,
  speed: 10000,
  duplex: 'full',
  rss: { maxKeySize: 40, maxIndirectionTableLength: 128, supportedHashTypes: 0x1ff },
};

describe('virtio_net_config bytes', () => {
  it('lays every field out per the specs layout, little-endian', () => {
    const { s } = space(FULL);
    expect(s.size).toBe(28);
    expect([...s.snapshot()]).toEqual([
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55, // mac
      0x01, 0x00, // status: LINK_UP
      0x04, 0x00, // max_virtqueue_pairs
      0x28, 0x23, // mtu 9000
      0x10, 0x27, 0x00, 0x00, // speed 10000
      0x01, // duplex full
      40, // rss_max_key_size
      0x80, 0x00, // rss_max_indirection_table_length
      0xff, 0x01, 0x00, 0x00, // supported_hash_types
      0x00, 0x00, 0x00, 0x00, // supported_tunnel_types
    ]);
    expect(s.read(8, 2)).toBe(4);
    expect(s.read(12, 4)).toBe(10000);
    expect(s.read(20, 4)).toBe(0x1ff);
  });

  it('is 24 bytes for a 1.2 device and shows link down and unknown speed', () => {
    const { s } = space({ specVersion: '1.2', linkUp: false });
    expect(s.size).toBe(24);
    expect(s.read(6, 2)).toBe(0);
    expect(s.read(12, 4)).toBe(0xffff_ffff);
    expect(s.read(16, 1)).toBe(0xff);
  });

  it('counts a read of a field whose feature is not offered (config.driver.3), not of one that is', () => {
    const { s, log } = space({});
    s.read(0, 4);
    s.read(6, 2);
    expect(log.undefinedReads).toEqual([]);
    expect(s.read(10, 2)).toBe(1500);
    s.read(8, 2);
    expect(log.undefinedReads).toEqual(['mtu', 'max_virtqueue_pairs']);
    const withMtu = space({ addFeatures: [VIRTIO_NET_F_MTU] });
    withMtu.s.read(10, 2);
    expect(withMtu.log.undefinedReads).toEqual([]);
  });

  it('ignores driver writes and reports them (net.cfg.driver.1)', () => {
    const { s, log } = space(FULL);
    const before = s.snapshot();
    s.write(0, 4, 0xdeadbeef);
    s.write(6, 2, 0);
    expect(s.snapshot()).toEqual(before);
    expect(log.writes).toEqual([0, 6]);
    expect(log.changes).toBe(0);
  });
});

describe('config setters', () => {
  it('signal a change only when a byte changes', () => {
    const { s, log } = space({});
    expect(s.setLinkUp(true)).toEqual({ kind: 'unchanged' });
    expect(s.setLinkUp(false)).toEqual({ kind: 'changed' });
    expect(s.read(6, 2)).toBe(0);
    expect(s.setAnnounce(true)).toEqual({ kind: 'changed' });
    expect(s.read(6, 2)).toBe(2);
    expect(s.setMac([1, 2, 3, 4, 5, 6])).toEqual({ kind: 'changed' });
    expect(s.setMac([1, 2, 3, 4, 5, 6])).toEqual({ kind: 'unchanged' });
    expect(log.changes).toBe(3);
  });

  it('refuse speed/duplex changes while the link is up with STATUS and SPEED_DUPLEX (net.cfg.device.12)', () => {
    const { s, log } = space({ addFeatures: ['SPEED_DUPLEX'] });
    const refused: ConfigUpdate = s.setSpeedDuplex(1000, 1);
    expect(refused).toMatchObject({ kind: 'refused', clause: 'net.cfg.device.12' });
    expect(s.setSpeedDuplex(1000, 1, true)).toEqual({ kind: 'changed' });
    s.setLinkUp(false);
    expect(s.setSpeedDuplex(100, 0)).toEqual({ kind: 'changed' });
    expect([s.speed, s.duplex]).toEqual([100, 0]);
    expect(log.changes).toBe(3);
  });

  it('reset restores mac and clears announce but keeps the link state', () => {
    const { s } = space({});
    s.setMac([1, 2, 3, 4, 5, 6]);
    s.setAnnounce(true);
    s.setLinkUp(false);
    s.reset();
    expect([...s.mac]).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect([s.announce, s.linkUp]).toEqual([false, false]);
  });
});
