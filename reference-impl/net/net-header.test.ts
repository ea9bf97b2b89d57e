import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeNetHdr, emptyNetHdr, encodeNetHdr, type NetHdrFields } from './net-header.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const fields: fc.Arbitrary<NetHdrFields> = fc.record({
  flags: fc.integer({ min: 0, max: 0xff }),
  gsoType: fc.integer({ min: 0, max: 0xff }),
  hdrLen: u16,
  gsoSize: u16,
  csumStart: u16,
  csumOffset: u16,
  numBuffers: u16,
  hashValue: fc.integer({ min: 0, max: 0xffff_ffff }),
  hashReport: u16,
  outerThOffset: u16,
  innerNhOffset: u16,
  outerNhOffset: u16,
});

describe('virtio_net_hdr codec', () => {
  it('puts fields at the spec offsets, little-endian', () => {
    const out = new Uint8Array(32).fill(0xee);
    encodeNetHdr({ ...emptyNetHdr(), flags: 1, gsoType: 4, hdrLen: 0x0102, gsoSize: 0x0304, csumStart: 0x0506, csumOffset: 0x0708, numBuffers: 0x090a, hashValue: 0x11223344, hashReport: 0x5566 }, 20, out);
    expect([...out.subarray(0, 21)]).toEqual([1, 4, 2, 1, 4, 3, 6, 5, 8, 7, 0x0a, 9, 0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0, 0, 0xee]);
  });

  test.prop([fields, fc.constantFrom(10, 12, 20, 24, 32)])('decoding what was encoded gives the fields present at that length', (f, length) => {
    const bytes = new Uint8Array(32);
    encodeNetHdr(f, length, bytes);
    const back = decodeNetHdr(bytes, length);
    const present = (end: number, v: number) => (end <= length ? v : 0);
    expect(back).toEqual({
      flags: f.flags,
      gsoType: f.gsoType,
      hdrLen: f.hdrLen,
      gsoSize: f.gsoSize,
      csumStart: f.csumStart,
      csumOffset: f.csumOffset,
      numBuffers: present(12, f.numBuffers),
      hashValue: present(16, f.hashValue),
      hashReport: present(18, f.hashReport),
      outerThOffset: present(22, f.outerThOffset),
      innerNhOffset: present(24, f.innerNhOffset),
      outerNhOffset: present(26, f.outerNhOffset),
    });
    expect(bytes.subarray(length).every((b) => b === 0)).toBe(true);
  });
});
