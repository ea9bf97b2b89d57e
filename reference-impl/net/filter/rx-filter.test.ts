import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BROADCAST_MAC, formatMac, isGroupMac, macClass, macFromNumber, macToNumber } from './mac-address.js';
import { type RxFilterState, rxFilterAccepts, rxFilterVerdict } from './rx-filter.js';
import { ethernet, mac } from './test-frames.js';

const DEVICE = mac('52:54:00:12:34:56');
const UC_TABLE = mac('52:54:00:aa:aa:aa');
const UC_OTHER = mac('52:54:00:bb:bb:bb');
const MC_TABLE = mac('01:00:5e:00:00:fb');
const MC_OTHER = mac('33:33:00:00:00:01');
const BCAST = mac('ff:ff:ff:ff:ff:ff');

type FrameClass = 'own' | 'uc-table' | 'uc-other' | 'bcast' | 'mc-table' | 'mc-other';
type Vlan = 'untagged' | 'listed' | 'unlisted';
const DEST: Record<FrameClass, Uint8Array> = { own: DEVICE, 'uc-table': UC_TABLE, 'uc-other': UC_OTHER, bcast: BCAST, 'mc-table': MC_TABLE, 'mc-other': MC_OTHER };

interface Flags {
  readonly promisc: boolean;
  readonly allmulti: boolean;
  readonly alluni: boolean;
  readonly nomulti: boolean;
  readonly nouni: boolean;
  readonly nobcast: boolean;
  readonly unicastOverflow: boolean;
  readonly multicastOverflow: boolean;
  readonly vlanFiltering: boolean;
}

/**
 * The spec's receive rules as a decision table: per destination class, the
 * condition under which the frame passes when PROMISC is off and the VLAN
 * check passed (5.1.9.5.1 - 5.1.9.5.3).
 */
const PASSES: Record<FrameClass, (f: Flags) => boolean> = {
  own: (f) => !f.nouni,
  'uc-table': (f) => !f.nouni,
  'uc-other': (f) => !f.nouni && (f.alluni || f.unicastOverflow),
  bcast: (f) => !f.nobcast,
  'mc-table': (f) => !f.nomulti,
  'mc-other': (f) => !f.nomulti && (f.allmulti || f.multicastOverflow),
};

function model(cls: FrameClass, vlan: Vlan, f: Flags): boolean {
  const vlanOk = vlan === 'untagged' || !f.vlanFiltering || vlan === 'listed';
  return f.promisc || (vlanOk && PASSES[cls](f));
}

function stateOf(f: Flags): RxFilterState {
  return { ...f, unicastTable: new Set([macToNumber(UC_TABLE)]), multicastTable: new Set([macToNumber(MC_TABLE)]), vlans: new Set([100]) };
}

function frameOf(cls: FrameClass, vlan: Vlan): Uint8Array {
  const vlans = vlan === 'untagged' ? [] : [vlan === 'listed' ? 0x2000 | 100 : 200];
  return ethernet({ dst: DEST[cls], etherType: 0x0800, vlans });
}

const flags: fc.Arbitrary<Flags> = fc.record({
  promisc: fc.boolean(),
  allmulti: fc.boolean(),
  alluni: fc.boolean(),
  nomulti: fc.boolean(),
  nouni: fc.boolean(),
  nobcast: fc.boolean(),
  unicastOverflow: fc.boolean(),
  multicastOverflow: fc.boolean(),
  vlanFiltering: fc.boolean(),
});
const frameClass = fc.constantFrom<FrameClass>('own', 'uc-table', 'uc-other', 'bcast', 'mc-table', 'mc-other');
const vlanKind = fc.constantFrom<Vlan>('untagged', 'listed', 'unlisted');

describe('rxFilterAccepts', () => {
  test.prop([frameClass, vlanKind, flags], { numRuns: 2000 })('agrees with the decision-table model', (cls, vlan, f) => {
    expect(rxFilterAccepts(stateOf(f), frameOf(cls, vlan), DEVICE)).toBe(model(cls, vlan, f));
  });

  it('covers every (class, vlan, flags) combination exhaustively', () => {
    const names = ['promisc', 'allmulti', 'alluni', 'nomulti', 'nouni', 'nobcast', 'unicastOverflow', 'multicastOverflow', 'vlanFiltering'] as const;
    let checked = 0;
    for (let bits = 0; bits < 1 << names.length; bits++) {
      const f = Object.fromEntries(names.map((n, i) => [n, ((bits >> i) & 1) === 1])) as unknown as Flags;
      for (const cls of Object.keys(DEST) as FrameClass[]) {
        for (const vlan of ['untagged', 'listed', 'unlisted'] as const) {
          expect(rxFilterAccepts(stateOf(f), frameOf(cls, vlan), DEVICE)).toBe(model(cls, vlan, f));
          checked++;
        }
      }
    }
    expect(checked).toBe(512 * 18);
  });

  it('names the deciding rule and clause', () => {
    const off: Flags = { promisc: false, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false, unicastOverflow: false, multicastOverflow: false, vlanFiltering: true };
    expect(rxFilterVerdict(stateOf({ ...off, promisc: true }), frameOf('uc-other', 'unlisted'), DEVICE)).toEqual({ kind: 'accept', rule: 'promisc', clause: 'net.ctrl.rx.device.2' });
    expect(rxFilterVerdict(stateOf(off), frameOf('own', 'unlisted'), DEVICE)).toMatchObject({ kind: 'drop', rule: 'vlan-not-in-table', clause: 'net.ctrl.vlan.device.3' });
    expect(rxFilterVerdict(stateOf({ ...off, allmulti: true, nobcast: true }), frameOf('bcast', 'untagged'), DEVICE)).toMatchObject({ kind: 'drop', rule: 'nobcast' });
    expect(rxFilterVerdict(stateOf({ ...off, nomulti: true }), frameOf('bcast', 'untagged'), DEVICE)).toMatchObject({ kind: 'accept', rule: 'broadcast', clause: 'net.ctrl.rx.device.9' });
    expect(rxFilterVerdict(stateOf({ ...off, alluni: true, nouni: true }), frameOf('own', 'untagged'), DEVICE)).toMatchObject({ kind: 'drop', rule: 'nouni' });
    expect(rxFilterVerdict(stateOf(off), frameOf('own', 'untagged'), DEVICE).rule).toBe('device-mac');
    expect(rxFilterVerdict(stateOf(off), frameOf('uc-table', 'untagged'), DEVICE).rule).toBe('unicast-table');
    expect(rxFilterVerdict(stateOf(off), frameOf('mc-other', 'untagged'), DEVICE).rule).toBe('multicast-not-in-table');
  });

  it('drops runts, even in promiscuous mode, and only treats 0x8100 as a VLAN tag', () => {
    const on = stateOf({ promisc: true, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false, unicastOverflow: false, multicastOverflow: false, vlanFiltering: true });
    expect(rxFilterVerdict(on, new Uint8Array(13), DEVICE).rule).toBe('runt');
    const tagged = frameOf('own', 'listed').subarray(0, 15);
    expect(rxFilterVerdict(on, tagged, DEVICE).rule).toBe('runt');
    const off = stateOf({ promisc: false, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false, unicastOverflow: false, multicastOverflow: false, vlanFiltering: true });
    const sTag = ethernet({ dst: DEVICE, etherType: 0x0800, vlans: [[0x88a8, 200]] });
    expect(rxFilterAccepts(off, sTag, DEVICE)).toBe(true);
  });

  it('the table of one class does not admit the other class', () => {
    const f: Flags = { promisc: false, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false, unicastOverflow: false, multicastOverflow: false, vlanFiltering: false };
    const s: RxFilterState = { ...f, unicastTable: new Set([macToNumber(MC_OTHER)]), multicastTable: new Set([macToNumber(UC_OTHER)]), vlans: new Set() };
    expect(rxFilterAccepts(s, frameOf('mc-other', 'untagged'), DEVICE)).toBe(false);
    expect(rxFilterAccepts(s, frameOf('uc-other', 'untagged'), DEVICE)).toBe(false);
  });
});

describe('mac-address', () => {
  test.prop([fc.uint8Array({ minLength: 6, maxLength: 6 })])('number form round-trips and classifies by the group bit', (bytes) => {
    const n = macToNumber(bytes);
    expect(macFromNumber(n)).toEqual(bytes);
    expect(isGroupMac(n)).toBe(((bytes[0] as number) & 1) === 1);
    expect(formatMac(n)).toBe(Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':'));
  });

  it('classes and bounds', () => {
    expect(macClass(BROADCAST_MAC)).toBe('broadcast');
    expect(macClass(macToNumber(MC_TABLE))).toBe('multicast');
    expect(macClass(macToNumber(DEVICE))).toBe('unicast');
    expect(macToNumber(new Uint8Array(5))).toBe(-1);
    expect(macToNumber(new Uint8Array(8), 3)).toBe(-1);
    expect(macToNumber(BCAST)).toBe(BROADCAST_MAC);
  });
});
