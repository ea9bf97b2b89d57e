import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { BROADCAST_MAC, ethernetFrame, ipv4Packet, macClass, PEER_MAC } from './frames.js';
import { ipv4Flow } from './flows.js';

describe('frames', () => {
  it('an 802.1Q tag sits after the addresses, with the VID in its low 12 bits', () => {
    const f = ethernetFrame({ dst: BROADCAST_MAC, vid: 0xabc, etherType: 0x88b5, payload: Uint8Array.of(7) });
    expect(Array.from(f)).toEqual([...BROADCAST_MAC, ...PEER_MAC, 0x81, 0x00, 0x0a, 0xbc, 0x88, 0xb5, 7]);
  });

  it('classifies addresses by the I/G bit', () => {
    expect([BROADCAST_MAC, Uint8Array.of(1, 0, 0x5e, 0, 0, 1), Uint8Array.of(2, 0, 0, 0, 0, 1)].map(macClass)).toEqual(['broadcast', 'multicast', 'unicast']);
  });

  test.prop([ipv4Flow, fc.uint8Array({ maxLength: 32 })])('IPv4 packets carry a valid header checksum, the flow and the data', (flow, data) => {
    const p = ipv4Packet(flow, data);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ((p[i] as number) << 8) | (p[i + 1] as number);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    expect([p[9], Array.from(p.subarray(12, 16)), Array.from(p.subarray(16, 20))]).toEqual([flow.protocol === 'tcp' ? 6 : 17, [...flow.src], [...flow.dst]]);
    expect([((p[20] as number) << 8) | (p[21] as number), ((p[22] as number) << 8) | (p[23] as number)]).toEqual([flow.sport, flow.dport]);
    expect(((p[2] as number) << 8) | (p[3] as number)).toBe(p.length);
    expect(Array.from(p.subarray(p.length - data.length))).toEqual(Array.from(data));
  });
});
