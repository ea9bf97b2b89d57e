/**
 * The model-based receive-filter scenario (`fc.commands`): receive-mode, MAC-table, VLAN and
 * MAC-address commands interleaved with injected frames. The model ({@link FilterModel}) follows
 * only what the device acknowledged; each frame is judged against the delivery duty the model
 * gives it, at the level the check asks for.
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import * as N from '../../../specs/features/net.js';
import type { CheckOutcome } from '../../checks/check.js';
import type { DeviceCheckContext } from '../../checks/context.js';
import { macAddrSetCommand, macTableSetCommand, RX_MODE_NAMES, type RxModeName, rxModeCommand, vlanCommand } from './commands.js';
import type { CtrlAnswer, CtrlRequest, CtrlSession } from './ctrl-session.js';
import { deliveryDuty, type FilterModel, newFilterModel } from './filter-model.js';
import { BROADCAST_MAC, ethernetFrame, fillerPayload, formatMac } from './frames.js';
import { checkProperty, Undecided, violation } from './property.js';

/** Unicast addresses the scenarios put in MAC tables and send frames to. */
export const UNICAST_POOL: readonly Uint8Array[] = [1, 2, 3].map((i) => Uint8Array.of(0x02, 0xaa, 0, 0, 0, i));
/** Multicast addresses the scenarios put in MAC tables and send frames to. */
export const MULTICAST_POOL: readonly Uint8Array[] = [1, 2, 3].map((i) => Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, i));
/** A unicast address never listed. */
export const OTHER_UNICAST: Uint8Array = Uint8Array.of(0x02, 0xbb, 0, 0, 0, 1);
/** A multicast address never listed. */
export const OTHER_MULTICAST: Uint8Array = Uint8Array.of(0x33, 0x33, 0, 0, 0, 9);
/** VLAN ids the scenarios add, delete and tag frames with. */
export const VID_POOL: readonly number[] = [100, 2000];
/** EtherType of the filler frames (IEEE 802 local experimental 1). */
const ETH_P_LOCAL = 0x88b5;

/** What the filter scenario negotiated. */
export interface FilterFacts {
  readonly rxExtra: boolean;
  readonly ctrlVlan: boolean;
  /** MAC and CTRL_MAC_ADDR negotiated: MAC_ADDR_SET may be sent and config `mac` is the device MAC. */
  readonly macAddr: boolean;
  /** MAC negotiated: config `mac` is meaningful. */
  readonly mac: boolean;
}

/** The facts of `session`'s negotiation. */
export function filterFacts(session: CtrlSession): FilterFacts {
  return {
    rxExtra: session.has(N.VIRTIO_NET_F_CTRL_RX_EXTRA),
    ctrlVlan: session.has(N.VIRTIO_NET_F_CTRL_VLAN),
    macAddr: session.hasAll(N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CTRL_MAC_ADDR),
    mac: session.has(N.VIRTIO_NET_F_MAC),
  };
}

/** Which duty the frames are judged against. */
export type DutyLevel = 'must' | 'should';

/** The system under test of the model run. */
export interface FilterReal {
  readonly session: CtrlSession;
  readonly level: DutyLevel;
  /** Frame sequence number, so every frame is unique. */
  seq: number;
}

type FilterCommand = fc.AsyncCommand<FilterModel, FilterReal, false>;

async function sendOrUndecided(real: FilterReal, request: CtrlRequest, what: string): Promise<Extract<CtrlAnswer, { kind: 'answered' }>> {
  const answer = await real.session.send(request);
  if (answer.kind !== 'answered') throw new Undecided(`${what} was not answered (${answer.kind}); see ctrl.device.ack-written`);
  return answer;
}

class RxModeStep implements FilterCommand {
  constructor(readonly mode: RxModeName, readonly on: boolean) {}
  check(): boolean {
    return true;
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const a = await sendOrUndecided(r, rxModeCommand(this.mode, this.on), this.toString());
    m.modes[this.mode] = a.ack === VIRTIO_NET_OK ? this.on : null;
  }
  toString(): string {
    return `${this.mode.toUpperCase()} ${this.on ? 1 : 0}`;
  }
}

class MacTableStep implements FilterCommand {
  constructor(readonly uc: readonly number[], readonly mc: readonly number[]) {}
  check(): boolean {
    return true;
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const uc = this.uc.map((i) => UNICAST_POOL[i] as Uint8Array);
    const mc = this.mc.map((i) => MULTICAST_POOL[i] as Uint8Array);
    const a = await sendOrUndecided(r, macTableSetCommand(uc, mc), this.toString());
    // A refused table leaves the model with none: the check then demands less, never more.
    const ok = a.ack === VIRTIO_NET_OK;
    m.unicast = new Set(ok ? uc.map(formatMac) : []);
    m.multicast = new Set(ok ? mc.map(formatMac) : []);
  }
  toString(): string {
    return `MAC_TABLE_SET uc[${this.uc.map((i) => formatMac(UNICAST_POOL[i] as Uint8Array)).join(' ')}] mc[${this.mc.map((i) => formatMac(MULTICAST_POOL[i] as Uint8Array)).join(' ')}]`;
  }
}

class VlanStep implements FilterCommand {
  constructor(readonly add: boolean, readonly vid: number) {}
  check(m: Readonly<FilterModel>): boolean {
    return m.ctrlVlan;
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const a = await sendOrUndecided(r, vlanCommand(this.add, this.vid), this.toString());
    if (this.add && a.ack === VIRTIO_NET_OK) m.vlans.add(this.vid);
    else m.vlans.delete(this.vid);
  }
  toString(): string {
    return `VLAN_${this.add ? 'ADD' : 'DEL'} ${this.vid}`;
  }
}

class MacAddrStep implements FilterCommand {
  constructor(readonly facts: FilterFacts, readonly index: number) {}
  check(): boolean {
    return this.facts.macAddr;
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const mac = Uint8Array.of(0x02, 0xcc, 0, 0, 0, this.index + 1);
    const a = await sendOrUndecided(r, macAddrSetCommand(mac), this.toString());
    m.own = a.ack === VIRTIO_NET_OK ? mac : null;
  }
  toString(): string {
    return `MAC_ADDR_SET 02:cc:00:00:00:0${this.index + 1}`;
  }
}

/** Where an injected frame is addressed. */
export type Destination =
  | 'own'
  | 'other-unicast'
  | 'other-multicast'
  | 'broadcast'
  | { readonly unicast: number }
  | { readonly multicast: number }
  | { readonly address: Uint8Array };

function describeDestination(d: Destination): string {
  if (typeof d === 'string') return d;
  if ('address' in d) return formatMac(d.address);
  return 'unicast' in d ? `table-unicast ${d.unicast}` : `table-multicast ${d.multicast}`;
}

class FrameStep implements FilterCommand {
  constructor(readonly destination: Destination, readonly vid: number | undefined) {}
  check(m: Readonly<FilterModel>): boolean {
    return this.destination !== 'own' || m.own !== null;
  }
  private address(m: FilterModel): Uint8Array {
    const d = this.destination;
    if (d === 'own') return m.own as Uint8Array;
    if (d === 'other-unicast') return OTHER_UNICAST;
    if (d === 'other-multicast') return OTHER_MULTICAST;
    if (d === 'broadcast') return BROADCAST_MAC;
    if ('address' in d) return d.address;
    return 'unicast' in d ? (UNICAST_POOL[d.unicast] as Uint8Array) : (MULTICAST_POOL[d.multicast] as Uint8Array);
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const dst = this.address(m);
    const frame = ethernetFrame({ dst, ...(this.vid === undefined ? {} : { vid: this.vid }), etherType: ETH_P_LOCAL, payload: fillerPayload(r.seq++) });
    const duty = deliveryDuty(m, { dst, ...(this.vid === undefined ? {} : { vid: this.vid }) });
    const got = await r.session.inject(frame, `${this.toString()} (${formatMac(dst)})`);
    if (got.kind === 'ring-error') throw new Undecided(`receive ring error: ${got.error.message}`);
    const delivered = got.deliveries.some((d) => d.frame.length === frame.length && d.frame.every((b, i) => b === frame[i]));
    if (delivered) return;
    const clause = r.level === 'must' ? duty.must : duty.must === null ? duty.should : null;
    if (clause === null) return;
    const tag = this.vid === undefined ? 'untagged' : `tagged VLAN ${this.vid}`;
    violation(clause, `a ${tag} frame to ${formatMac(dst)} was not delivered (${duty.why})`, `the frame is delivered (${r.level === 'must' ? 'MUST' : 'SHOULD'})`);
  }
  toString(): string {
    return `frame to ${describeDestination(this.destination)}${this.vid === undefined ? '' : ` vlan ${this.vid}`}`;
  }
}

/** How a listed frame picks its VLAN tag from the model at run time. */
export type TagChoice = 'untagged' | { readonly listed: number } | 'unlisted';

/**
 * A frame to a destination the model lists (the device MAC or a MAC-table entry), picked at run
 * time as the `pick`-th of the listed ones, so that most frames carry a duty to judge.
 */
class ListedFrameStep implements FilterCommand {
  constructor(readonly pick: number, readonly tag: TagChoice) {}
  check(m: Readonly<FilterModel>): boolean {
    return m.own !== null || m.unicast.size + m.multicast.size > 0;
  }
  async run(m: FilterModel, r: FilterReal): Promise<void> {
    const listed = [...(m.own === null ? [] : [formatMac(m.own)]), ...m.unicast, ...m.multicast];
    const name = listed[this.pick % listed.length] as string;
    const dst = Uint8Array.from(name.split(':').map((h) => Number.parseInt(h, 16)));
    const vids = [...m.vlans];
    const t = this.tag;
    const vid = t === 'untagged' ? undefined : t === 'unlisted' || vids.length === 0 ? (VID_POOL.find((v) => !m.vlans.has(v)) ?? 3000) : (vids[t.listed % vids.length] as number);
    await new FrameStep({ address: dst }, vid).run(m, r);
  }
  toString(): string {
    return `listed frame #${this.pick} ${typeof this.tag === 'string' ? this.tag : `listed vlan #${this.tag.listed}`}`;
  }
}

/**
 * Sends one frame to every destination the duty level cares about, untagged and with every VLAN
 * of the pool: for MUST duties every listed destination, for SHOULD duties every destination.
 * Any acknowledged command whose effect is missing shows at the next probe.
 */
async function probe(m: FilterModel, r: FilterReal): Promise<void> {
  const destinations: Destination[] =
    r.level === 'must'
      ? [...(m.own === null ? [] : ['own' as const]), ...[...m.unicast, ...m.multicast].map((name): Destination => ({ address: Uint8Array.from(name.split(':').map((h) => Number.parseInt(h, 16))) }))]
      : ['other-unicast', 'other-multicast', ...UNICAST_POOL.map((_, i): Destination => ({ unicast: i })), ...MULTICAST_POOL.map((_, i): Destination => ({ multicast: i }))];
  // With CTRL_VLAN, a frame of an unlisted VLAN carries no MUST: those frames are left out.
  const vids = r.level === 'must' && m.ctrlVlan ? VID_POOL.filter((v) => m.vlans.has(v)) : VID_POOL;
  for (const d of destinations) for (const vid of [undefined, ...vids]) await new FrameStep(d, vid).run(m, r);
}

class ProbeStep implements FilterCommand {
  check(): boolean {
    return true;
  }
  run(m: FilterModel, r: FilterReal): Promise<void> {
    return probe(m, r);
  }
  toString(): string {
    return 'probe';
  }
}

const index3 = fc.nat(2);

/** The commands of the scenario for a negotiation with `facts`, generating frames for `level`. */
export function filterCommandArbitraries(facts: FilterFacts, level: DutyLevel): fc.Arbitrary<FilterCommand>[] {
  const modes = RX_MODE_NAMES.filter((mode) => facts.rxExtra || mode === 'promisc' || mode === 'allmulti');
  const destination: fc.Arbitrary<Destination> = fc.oneof(
    fc.constantFrom<Destination>('own', 'other-unicast', 'other-multicast', 'broadcast'),
    index3.map((i): Destination => ({ unicast: i })),
    index3.map((i): Destination => ({ multicast: i })),
  );
  const vid = fc.option(fc.constantFrom(...VID_POOL), { nil: undefined });
  const tag: fc.Arbitrary<TagChoice> = fc.oneof(
    { arbitrary: fc.constant<TagChoice>('untagged'), weight: 2 },
    { arbitrary: fc.constant<TagChoice>('unlisted'), weight: 1 },
    { arbitrary: fc.nat(3).map((listed): TagChoice => ({ listed })), weight: 2 },
  );
  // For SHOULD duties the modes that widen delivery are turned on more often.
  const widening = modes.filter((m) => m === 'promisc' || m === 'allmulti' || m === 'alluni');
  const anyMode = fc.tuple(fc.constantFrom(...modes), fc.boolean());
  const mode = level === 'should' ? fc.oneof({ arbitrary: anyMode, weight: 1 }, { arbitrary: fc.tuple(fc.constantFrom(...widening), fc.constant(true)), weight: 3 }) : anyMode;
  const frame = fc.tuple(destination, vid).map(([d, v]) => new FrameStep(d, v));
  const listedFrame = fc.tuple(fc.nat(7), tag).map(([pick, t]) => new ListedFrameStep(pick, t));
  const modeStep = mode.map(([m, on]) => new RxModeStep(m, on));
  const arbs: fc.Arbitrary<FilterCommand>[] = [
    modeStep,
    // SHOULD duties come from the modes: they are drawn twice as often there.
    ...(level === 'should' ? [modeStep] : []),
    fc.tuple(fc.uniqueArray(index3, { minLength: 1, maxLength: 3 }), fc.uniqueArray(index3, { minLength: 1, maxLength: 3 })).map(([uc, mc]) => new MacTableStep(uc, mc)),
    level === 'must' ? listedFrame : frame,
    fc.constant(new ProbeStep()),
  ];
  if (facts.ctrlVlan) {
    // Additions outnumber deletions, so that listed VLANs are there to be judged.
    const vlan = fc.tuple(fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }), fc.constantFrom(...VID_POOL));
    arbs.push(vlan.map(([add, v]) => new VlanStep(add, v)));
  }
  if (facts.macAddr) arbs.push(index3.map((i) => new MacAddrStep(facts, i)));
  return arbs;
}

/**
 * Puts device and model in a known state at the start of a run: every receive mode off, empty
 * MAC table, pool VLANs deleted, the device MAC read from config space. What the device refuses
 * stays unknown in the model.
 */
async function normalize(session: CtrlSession, facts: FilterFacts, level: DutyLevel): Promise<FilterModel> {
  const model = newFilterModel(facts.ctrlVlan);
  const real: FilterReal = { session, level, seq: 0 };
  const steps: FilterCommand[] = RX_MODE_NAMES.filter((mode) => facts.rxExtra || mode === 'promisc' || mode === 'allmulti').map((mode) => new RxModeStep(mode, false));
  steps.push(new MacTableStep([], []));
  if (facts.ctrlVlan) for (const vid of VID_POOL) steps.push(new VlanStep(false, vid));
  for (const s of steps) await s.run(model, real);
  if (!facts.rxExtra) {
    // Without CTRL_RX_EXTRA the driver cannot turn these on, so they are off.
    model.modes.alluni = model.modes.nomulti = model.modes.nouni = model.modes.nobcast = false;
  }
  if (facts.mac) model.own = await session.readMac();
  return model;
}

/**
 * Runs the filter scenario on `session` for `numRuns` runs, judging frames at `level`.
 */
export function runFilterScenario(ctx: DeviceCheckContext, session: CtrlSession, level: DutyLevel, numRuns: number): Promise<CheckOutcome> {
  const facts = filterFacts(session);
  const commands = fc.commands(filterCommandArbitraries(facts, level), { maxCommands: 16, size: '+1' });
  let seq = 0;
  return checkProperty(ctx.config, ctx.trace, numRuns, commands, async (cmds) => {
    await session.ensureUsable();
    const model = await normalize(session, facts, level);
    const real: FilterReal = { session, level, seq: (seq += 1000) };
    await fc.asyncModelRun(() => ({ model, real }), cmds);
    // Every run ends with a probe, so the effect of its last commands is judged too.
    await probe(model, real);
  });
}
