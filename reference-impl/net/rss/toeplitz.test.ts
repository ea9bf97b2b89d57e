import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { be16, concat, ip4, ip6 } from '../filter/test-frames.js';
import { RSS_VERIFICATION_KEY, toeplitzHash } from './toeplitz.js';
import { toeplitzBits } from './toeplitz-model.js';

// Microsoft "Verifying the RSS Hash Calculation": destination, source, and the
// expected hash over addresses only and over addresses + TCP ports. Input
// order is source address, destination address, source port, destination port.
const IPV4_VECTORS = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
] as const;

const IPV6_VECTORS = [
  ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
  ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
  ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
] as const;

describe('toeplitzHash: Microsoft RSS verification suite', () => {
  it('uses the well-known key', () => {
    expect(Array.from(RSS_VERIFICATION_KEY.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('')).toBe('6d5a56da255b0ec2');
    expect(RSS_VERIFICATION_KEY.length).toBe(40);
  });

  it.each(IPV4_VECTORS)('IPv4 dst %s:%i src %s:%i', (dst, dport, src, sport, ipOnly, withTcp) => {
    const addrs = concat(ip4(src), ip4(dst));
    const full = concat(addrs, be16(sport), be16(dport));
    expect(toeplitzHash(RSS_VERIFICATION_KEY, addrs)).toBe(ipOnly);
    expect(toeplitzHash(RSS_VERIFICATION_KEY, full)).toBe(withTcp);
    // the independent implementation agrees, so the table itself is checked too
    expect(toeplitzBits(RSS_VERIFICATION_KEY, addrs)).toBe(ipOnly);
    expect(toeplitzBits(RSS_VERIFICATION_KEY, full)).toBe(withTcp);
  });

  it.each(IPV6_VECTORS)('IPv6 dst %s:%i src %s:%i', (dst, dport, src, sport, ipOnly, withTcp) => {
    const addrs = concat(ip6(src), ip6(dst));
    const full = concat(addrs, be16(sport), be16(dport));
    expect(toeplitzHash(RSS_VERIFICATION_KEY, addrs)).toBe(ipOnly);
    expect(toeplitzHash(RSS_VERIFICATION_KEY, full)).toBe(withTcp);
    expect(toeplitzBits(RSS_VERIFICATION_KEY, addrs)).toBe(ipOnly);
    expect(toeplitzBits(RSS_VERIFICATION_KEY, full)).toBe(withTcp);
  });
});

describe('toeplitzHash: properties', () => {
  test.prop([fc.uint8Array({ minLength: 0, maxLength: 52 }), fc.uint8Array({ minLength: 0, maxLength: 40 })])(
    'equals the bit-string model for any key and input, short keys padded with zero bits',
    (key, input) => {
      expect(toeplitzHash(key, input)).toBe(toeplitzBits(key, input));
    },
  );

  test.prop([fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.uint8Array({ minLength: 36, maxLength: 36 }), fc.uint8Array({ minLength: 36, maxLength: 36 })])(
    'is linear: h(a xor b) = h(a) xor h(b)',
    (key, a, b) => {
      const x = a.map((v, i) => v ^ (b[i] as number));
      expect(toeplitzHash(key, x)).toBe((toeplitzHash(key, a) ^ toeplitzHash(key, b)) >>> 0);
    },
  );

  it('hashes only the first `length` bytes and maps all-zero input to 0', () => {
    const input = concat(ip4('1.2.3.4'), ip4('5.6.7.8'), be16(1), be16(2));
    expect(toeplitzHash(RSS_VERIFICATION_KEY, input, 8)).toBe(toeplitzHash(RSS_VERIFICATION_KEY, input.subarray(0, 8)));
    expect(toeplitzHash(RSS_VERIFICATION_KEY, new Uint8Array(36))).toBe(0);
  });
});
