import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { concatBytes, le32 } from '../../scenarios/ctrl/commands.js';
import type { TappedCommand } from '../../scenarios/ctrl/ctrl-tap.js';
import { ClauseViolation } from '../../scenarios/ctrl/property.js';
import { macTableLayoutError } from './driver-commands.js';
import { judgeGate } from './driver-gates.js';

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const unicast = mac.map((m) => Uint8Array.of((m[0] as number) & 0xfe, ...m.subarray(1)));
const multicast = mac.map((m) => Uint8Array.of((m[0] as number) | 1, ...m.subarray(1)));
const table = (list: readonly Uint8Array[]): Uint8Array => concatBytes(le32(list.length), ...list);

describe('macTableLayoutError', () => {
  test.prop([fc.array(unicast, { maxLength: 5 }), fc.array(multicast, { maxLength: 5 })])('accepts every well-formed table pair', (uc, mc) => {
    expect(macTableLayoutError(concatBytes(table(uc), table(mc)))).toBeNull();
  });

  test.prop([fc.array(unicast, { maxLength: 5 }), fc.array(multicast, { maxLength: 5 }), fc.integer({ min: 1, max: 3 })])('refuses a count that does not match the entries', (uc, mc, off) => {
    const p = concatBytes(table(uc), table(mc));
    p[0] = ((p[0] as number) + off) & 0xff;
    expect(macTableLayoutError(p)).not.toBeNull();
  });

  it('refuses an entry of the wrong class and trailing bytes', () => {
    expect(macTableLayoutError(concatBytes(table([Uint8Array.of(1, 0, 0x5e, 0, 0, 1)]), table([])))).toMatch(/unicast entry 0/);
    expect(macTableLayoutError(concatBytes(table([]), table([]), Uint8Array.of(0)))).toMatch(/8 bytes; the payload has 9/);
  });
});

function tapped(klass: number, command: number, negotiated: bigint): TappedCommand {
  return { seq: 0, klass, command, payload: new Uint8Array(1), resultRoom: 0, negotiated, enabledQueues: [], ack: null };
}

describe('judgeGate', () => {
  const base = featureMask(N.VIRTIO_NET_F_CTRL_VQ);
  const caught = (c: TappedCommand): string | null => {
    try {
      judgeGate(c);
      return null;
    } catch (e) {
      return e instanceof ClauseViolation ? e.evidence.clause : 'other';
    }
  };

  it('reports each stated gate under its clause, and passes gated commands', () => {
    expect(caught(tapped(0, 0, base))).toBe('net.ctrl.rx.driver.1');
    expect(caught(tapped(0, 2, base | featureMask(N.VIRTIO_NET_F_CTRL_RX)))).toBe('net.ctrl.rx.driver.2');
    expect(caught(tapped(1, 0, base))).toBe('net.ctrl.mac.driver.1');
    expect(caught(tapped(4, 1, base))).toBe('net.ctrl.rss.driver.1');
    expect(caught(tapped(6, 2, base | featureMask(N.VIRTIO_NET_F_NOTF_COAL)))).toBe('net.ctrl.coal.driver.3');
    expect(caught(tapped(0, 0, base | featureMask(N.VIRTIO_NET_F_CTRL_RX)))).toBeNull();
  });

  it('leaves gates without a driver clause, and undefined commands, unjudged', () => {
    expect(caught(tapped(2, 0, base))).toBeNull();
    expect(caught(tapped(4, 0, base))).toBeNull();
    expect(caught(tapped(42, 0, base))).toBeNull();
  });
});
