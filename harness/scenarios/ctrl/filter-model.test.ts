import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { deliveryDuty, type FilterModel, newFilterModel } from './filter-model.js';
import { BROADCAST_MAC, formatMac } from './frames.js';

const OWN = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const UC = Uint8Array.of(0x02, 0xaa, 0, 0, 0, 1);
const MC = Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1);
const OTHER = Uint8Array.of(0x02, 0xbb, 0, 0, 0, 1);

function model(ctrlVlan: boolean, patch: Partial<FilterModel> = {}): FilterModel {
  const m = newFilterModel(ctrlVlan);
  m.own = OWN;
  m.modes = { promisc: false, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false };
  return Object.assign(m, patch);
}

describe('deliveryDuty', () => {
  it('the device MAC and MAC-table entries must be delivered untagged (net.ctrl.mac.device.2)', () => {
    const m = model(true, { unicast: new Set([formatMac(UC)]), multicast: new Set([formatMac(MC)]) });
    expect([OWN, UC, MC].map((dst) => deliveryDuty(m, { dst }).must)).toEqual(['net.ctrl.mac.device.2', 'net.ctrl.mac.device.2', 'net.ctrl.mac.device.2']);
    expect([OTHER, BROADCAST_MAC].map((dst) => deliveryDuty(m, { dst }))).toMatchObject([{ must: null, should: null }, { must: null, should: null }]);
  });

  it('a tagged frame must be delivered only for a listed VLAN with CTRL_VLAN, for every VLAN without it', () => {
    const filtering = model(true, { vlans: new Set([100]) });
    expect(deliveryDuty(filtering, { dst: OWN, vid: 100 }).must).toBe('net.ctrl.vlan.device.2');
    expect(deliveryDuty(filtering, { dst: OWN, vid: 200 }).must).toBeNull();
    expect(deliveryDuty(model(false), { dst: OWN, vid: 200 }).must).toBe('net.ctrl.vlan.device.1');
  });

  it('NOUNI / NOMULTI on, or in an unknown state, lift the MUST', () => {
    expect(deliveryDuty(model(false, { modes: { ...model(false).modes, nouni: true } }), { dst: OWN }).must).toBeNull();
    expect(deliveryDuty(model(false, { modes: { ...model(false).modes, nouni: null } }), { dst: OWN }).must).toBeNull();
    const mc = model(false, { multicast: new Set([formatMac(MC)]), modes: { ...model(false).modes, nomulti: true } });
    expect(deliveryDuty(mc, { dst: MC }).must).toBeNull();
  });

  it('PROMISC asks for everything, unlisted VLANs and NO* modes included (net.ctrl.rx.device.2, .3)', () => {
    const m = model(true, { modes: { ...model(true).modes, promisc: true } });
    expect(deliveryDuty(m, { dst: OTHER, vid: 300 })).toMatchObject({ must: null, should: 'net.ctrl.rx.device.2' });
    m.modes.nobcast = true;
    expect(deliveryDuty(m, { dst: BROADCAST_MAC }).should).toBe('net.ctrl.rx.device.3');
  });

  it('ALLMULTI and ALLUNI ask for their class on accepted VLANs, not while NOMULTI / NOUNI is on', () => {
    const m = model(true, { modes: { ...model(true).modes, allmulti: true, alluni: true } });
    expect(deliveryDuty(m, { dst: Uint8Array.of(0x33, 0x33, 0, 0, 0, 9) }).should).toBe('net.ctrl.rx.device.4');
    expect(deliveryDuty(m, { dst: OTHER }).should).toBe('net.ctrl.rx.device.6');
    expect(deliveryDuty(m, { dst: OTHER, vid: 5 }).should).toBeNull();
    m.modes.nomulti = true;
    m.modes.nouni = true;
    expect(deliveryDuty(m, { dst: Uint8Array.of(0x33, 0x33, 0, 0, 0, 9) }).should).toBeNull();
    expect(deliveryDuty(m, { dst: OTHER }).should).toBeNull();
  });
});

const mode = fc.constantFrom(true, false, null);
const anyModel = fc
  .record({
    ctrlVlan: fc.boolean(),
    modes: fc.record({ promisc: mode, allmulti: mode, alluni: mode, nomulti: mode, nouni: mode, nobcast: mode }),
    uc: fc.boolean(),
    mc: fc.boolean(),
    vlans: fc.uniqueArray(fc.constantFrom(1, 100, 2000)),
  })
  .map((r) => {
    const m = newFilterModel(r.ctrlVlan);
    m.own = OWN;
    m.modes = r.modes;
    if (r.uc) m.unicast.add(formatMac(UC));
    if (r.mc) m.multicast.add(formatMac(MC));
    for (const v of r.vlans) m.vlans.add(v);
    return m;
  });
const frame = fc.record({ dst: fc.constantFrom(OWN, UC, MC, OTHER, BROADCAST_MAC), vid: fc.option(fc.constantFrom(1, 100, 2000, 3000), { nil: undefined }) });

describe('deliveryDuty, whatever the state', () => {
  test.prop([anyModel, frame])('a MUST needs a listed destination, no suppressing mode and an accepting VLAN filter; MUST and SHOULD exclude each other', (m, f) => {
    const duty = deliveryDuty(m, f.vid === undefined ? { dst: f.dst } : f);
    expect(duty.must !== null && duty.should !== null).toBe(false);
    if (duty.must === null) return;
    const name = formatMac(f.dst);
    const isUnicast = f.dst === OWN || f.dst === UC;
    expect(f.dst === OWN || m.unicast.has(name) || m.multicast.has(name)).toBe(true);
    expect(isUnicast ? m.modes.nouni : m.modes.nomulti).toBe(false);
    expect(f.vid === undefined || !m.ctrlVlan || m.vlans.has(f.vid)).toBe(true);
  });
});
