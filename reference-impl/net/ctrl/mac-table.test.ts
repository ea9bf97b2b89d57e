import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { macToNumber } from '../filter/mac-address.js';
import { mac } from '../filter/test-frames.js';
import { parseMacTableSet } from './mac-table.js';
import { le32, macTablePayload } from './test-payloads.js';

const A = mac('52:54:00:00:00:0a');
const B = mac('52:54:00:00:00:0b');
const M = mac('33:33:00:00:00:01');

describe('parseMacTableSet', () => {
  it('reads both tables in order; either count may be 0 (net.ctrl.mac.driver.4)', () => {
    expect(parseMacTableSet(macTablePayload([A, B], [M]), true, true)).toEqual({
      kind: 'parsed',
      value: { unicast: [macToNumber(A), macToNumber(B)], multicast: [macToNumber(M)] },
    });
    expect(parseMacTableSet(macTablePayload([], []), true, true)).toEqual({ kind: 'parsed', value: { unicast: [], multicast: [] } });
  });

  it.each([
    ['unicast count past the bytes', macTablePayload([A, B], [], [3, 0]).subarray(0, 16), /unicast count 3 but only 2/],
    ['multicast count past the bytes', macTablePayload([A], [M], [1, 2]), /multicast count 2 but only 1/],
    ['no multicast count', macTablePayload([A], []).subarray(0, 10), /no room for the multicast count/],
    ['empty', new Uint8Array(0), /no room for the unicast count/],
    ['a count of 2^32-1', Uint8Array.of(...le32(0xffffffff), ...A), /unicast count 4294967295 but only 1/],
    ['trailing bytes (strict)', Uint8Array.of(...macTablePayload([A], [M]), 0, 0), /2 bytes after the multicast table/],
  ])('refuses %s as malformed', (_n, payload, reason) => {
    const r = parseMacTableSet(payload, true, true);
    expect(r.kind).toBe('malformed');
    if (r.kind === 'malformed') expect(r.reason).toMatch(reason);
  });

  it('accepts trailing bytes when not strict; reads big-endian counts for a legacy BE guest', () => {
    expect(parseMacTableSet(Uint8Array.of(...macTablePayload([A], []), 7), true, false).kind).toBe('parsed');
    const be = Uint8Array.of(0, 0, 0, 1, ...A, 0, 0, 0, 0);
    expect(parseMacTableSet(be, false, true)).toEqual({ kind: 'parsed', value: { unicast: [macToNumber(A)], multicast: [] } });
  });

  test.prop([fc.uint8Array({ maxLength: 64 })])('never reads past the payload: parsed tables fill it exactly', (payload) => {
    const r = parseMacTableSet(payload, true, true);
    if (r.kind === 'parsed') expect(8 + 6 * (r.value.unicast.length + r.value.multicast.length)).toBe(payload.length);
    if (r.kind === 'parsed') for (const m of [...r.value.unicast, ...r.value.multicast]) expect(m).toBeGreaterThanOrEqual(0);
  });
});
