/**
 * The ring scenario runner: both sides of one virtqueue of a ring engine
 * over one guest memory, driven by integer-encoded steps (see
 * `ring-steps.ts`), with the independent ring observer watching and the
 * scenario's model ({@link RingModel}) checking every buffer:
 *
 * - an add succeeds exactly when the model has room for it (full rings);
 * - the device pops buffers in the order they were made available, with
 *   exactly the segments, id and descriptor count that were added;
 * - the driver collects buffers in the order they were used, each with its
 *   token and the len the device reported, never more than its writable bytes;
 * - free descriptors, device-held chains and the observer's outstanding set
 *   match the model after every step;
 * - after a final drain every buffer is back and nothing is outstanding.
 *
 * Observer contract: every step ends with a checkpoint of the side that
 * ran; kicks and interrupts are reported to the observer before the other
 * side acts on them; `afterDriverStep` / `afterDeviceStep` follow each
 * notification decision.
 *
 * Guest memory is reused across runs (and across configurations through
 * `RingScenarioPool`); a run resets both sides and builds a new observer.
 *
 * @module
 */

import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { type DeviceChain, type DeviceRingError, writeChain } from '../../../reference-impl/virtqueue/index.js';
import { ByteMemoryReader, type PackedRingObserver, SplitRingObserver } from '../../observers/index.js';
import {
  checkRingScenarioConfig,
  planRing,
  RING_SCENARIO_INDIRECT_ENTRIES,
  RING_SCENARIO_REGION_BYTES,
  type RingPlan,
  type RingScenarioConfig,
  ringQueueOptions,
  ringScenarioLabel,
} from './ring-config.js';
import { lastBufferId, referenceRingEngine, type RingDeviceSide, type RingDriverSide, type RingScenarioOptions } from './ring-engine.js';
import { RingModel } from './ring-model.js';
import { RingRunStats } from './ring-stats.js';
import {
  bufferShape,
  mix32,
  OP_ADD,
  OP_BY_CODE,
  OP_CALLBACKS,
  OP_DEVICE_NOTIFICATIONS,
  OP_KICK,
  OP_NOTIFY,
  OP_POP,
  OP_PUSH,
  OP_REAP,
  OP_SERVICE,
  stageBuffer,
} from './ring-steps.js';
import { createRingObserver, RingProbe } from './ring-watch.js';

/** Bytes the device writes into writable segments (a fixed pattern). */
const PATTERN = new Uint8Array(RING_SCENARIO_REGION_BYTES).fill(0xa5);
/** Views of PATTERN by length, made once so that pushes do not allocate. */
const PATTERN_VIEWS: readonly Uint8Array[] = Array.from({ length: RING_SCENARIO_REGION_BYTES + 1 }, (_, n) => PATTERN.subarray(0, n));

/** One configuration's driver queue, device queue and observer over a (shared) guest memory. */
export class RingScenario {
  readonly config: RingScenarioConfig;
  readonly plan: RingPlan;
  readonly mem: GuestMemory;
  /** Outcome of the last {@link run}. */
  readonly stats = new RingRunStats();
  readonly driver: RingDriverSide;
  readonly device: RingDeviceSide;
  /** The observer of the last run, or null when observing is off. */
  observer: SplitRingObserver | PackedRingObserver | null = null;

  private readonly model = new RingModel();
  private readonly reader: ByteMemoryReader;
  private readonly probe: RingProbe;
  private readonly observe: boolean;
  private readonly checkReadOnly: boolean;
  private readonly lapBound: boolean;
  private readonly held: (DeviceChain | null)[];
  private readonly heldToken: Int32Array;
  private heldCount = 0;
  /** The model stopped following the engine (after a disagreement it cannot explain): no more checks. */
  private lost = false;
  private addedSinceKick = 0;
  private usedSinceNotify = 0;
  private driverWindowStart = 0;
  private deviceWindowStart = 0;
  private lastWrapMark = 0;
  /** Descriptors made available / used since the last kick / notification decision, and held in a deferred batch. */
  private driverWindowDescs = 0;
  private deviceWindowDescs = 0;
  private deferredDescs = 0;

  /**
   * @param mem - guest memory to use; a fresh one of the planned size when omitted or too small.
   * @throws RangeError for an unusable configuration or when the engine refuses the layout (harness bugs).
   */
  constructor(config: RingScenarioConfig, options: RingScenarioOptions = {}, mem?: GuestMemory) {
    const bad = checkRingScenarioConfig(config);
    if (bad !== null) throw new RangeError(bad);
    this.config = config;
    this.plan = planRing(config);
    this.mem = mem !== undefined && mem.size >= this.plan.memoryBytes ? mem : new GuestMemory(this.plan.memoryBytes);
    this.reader = new ByteMemoryReader(this.mem.u8);
    this.probe = new RingProbe(this.mem, config, this.plan.layout);
    this.observe = options.observe ?? true;
    this.checkReadOnly = options.checkReadOnlyBuffers ?? true;
    this.lapBound = config.format === 'packed' && (options.packedDecisionEveryLap ?? false);
    const engine = options.engine ?? referenceRingEngine;
    const o = ringQueueOptions(config, this.plan);
    this.driver = engine.createDriver(this.mem, config.format, o.driver);
    const device = engine.createDevice(this.mem, config.format, o.device);
    if ('kind' in device && device.kind === 'ring-error') throw new RangeError(`device refused ${ringScenarioLabel(config)}: ${device.message}`);
    this.device = device as RingDeviceSide;
    this.held = new Array<DeviceChain | null>(config.size).fill(null);
    this.heldToken = new Int32Array(config.size);
  }

  /**
   * Runs `steps` from a freshly reset queue, then drains it, and returns the
   * stats (the runner's own object, overwritten by the next run).
   */
  run(steps: ArrayLike<number>): RingRunStats {
    this.begin();
    const n = steps.length;
    for (let i = 0; i < n; i++) {
      this.step(steps[i] as number);
      this.stats.steps = i + 1;
      this.checkSteady();
    }
    this.drain();
    this.finish();
    return this.stats;
  }

  private begin(): void {
    const c = this.config;
    this.driver.reset();
    this.device.reset();
    this.model.reset(c.size);
    this.stats.reset();
    this.held.fill(null);
    this.heldCount = 0;
    this.lost = false;
    this.addedSinceKick = this.usedSinceNotify = 0;
    this.driverWindowDescs = this.deviceWindowDescs = this.deferredDescs = 0;
    this.driverWindowStart = this.deviceWindowStart = c.initialIndex ?? 0;
    this.lastWrapMark = this.probe.wrapMark(this.driver);
    this.observer = this.observe ? createRingObserver(this.reader, c, this.plan.layout, this.checkReadOnly) : null;
  }

  private step(s: number): void {
    const a = (s >>> 4) & 0xff;
    const b = (s >>> 12) & 0xfff;
    const c = (s >>> 24) & 63;
    switch (OP_BY_CODE[s & 15]) {
      case OP_ADD:
        for (let k = 0, n = 1 + (a & 3); k < n; k++) this.add(mix32(s, k));
        if ((c & 1) !== 0) this.endDriverStep();
        else this.observer?.checkpoint('driver');
        return;
      case OP_KICK:
        this.endDriverStep();
        return;
      case OP_REAP:
        this.reap((a & 8) !== 0 ? 2 * this.config.size : 1 + (a & 7));
        this.observer?.checkpoint('driver');
        return;
      case OP_CALLBACKS:
        if ((a & 3) === 0) this.driver.disableCallbacks();
        else if ((a & 3) === 1) this.driver.enableCallbacks();
        else if ((a & 3) === 2) this.driver.enableCallbacksDelayed();
        this.observer?.checkpoint('driver');
        return;
      case OP_POP:
        this.pop(1 + (a & 7));
        this.observer?.checkpoint('device');
        return;
      case OP_PUSH:
        this.push(1 + (a & 3), b, c, this.config.inOrder && (a & 4) !== 0);
        this.observer?.checkpoint('device');
        return;
      case OP_NOTIFY:
        this.endDeviceStep();
        return;
      case OP_DEVICE_NOTIFICATIONS:
        if ((a & 1) !== 0) this.device.enableNotifications();
        else this.device.disableNotifications();
        this.observer?.checkpoint('device');
        return;
      case OP_SERVICE:
        this.stats.services++;
        this.pop(2 * this.config.size);
        this.push(this.config.size, b, c, this.config.inOrder && (a & 4) !== 0);
        if (this.device.flushDeferred() > 0) this.flushed();
        this.endDeviceStep();
        return;
    }
  }

  // ------------------------------------------------------------------ driver

  private add(seed: number): void {
    const m = this.model;
    const shape = bufferShape(seed, this.config.size);
    const outs = shape & 0xff;
    const total = outs + (shape >>> 8);
    const entries = this.plan.indirectEntries;
    const need = entries > 0 && total >= 2 && total <= entries && m.free > 0 ? 1 : total;
    const fits = m.free >= need;
    if (this.lost) return;
    const region = fits ? m.takeRegion() : 0;
    if (region < 0) return this.fail(`no free buffer region with ${m.uncollected} buffers uncollected`, true);
    stageBuffer(this.driver.stage, seed, shape, this.plan.regionBase + region * RING_SCENARIO_REGION_BYTES);
    if (this.lapBound && this.driverWindowDescs + need > this.config.size) this.endDriverStep();
    const r = this.driver.add(m.added);
    if (r.kind === 'added') {
      this.driverWindowDescs += need;
      if (!fits) this.fail(`add of ${total} segments succeeded with ${m.free} free, ${need} needed`, true);
      m.add(seed, shape, need, region, lastBufferId(this.driver));
      this.stats.buffersAdded++;
      this.addedSinceKick++;
      const mark = this.probe.wrapMark(this.driver);
      if (this.config.format === 'split' ? mark < this.lastWrapMark : mark !== this.lastWrapMark) this.stats.indexWraps++;
      this.lastWrapMark = mark;
      if (m.outstanding > this.stats.maxOutstanding) this.stats.maxOutstanding = m.outstanding;
      return;
    }
    if (fits) m.regions[m.regionCount++] = region;
    if (r.kind === 'no-space') {
      this.stats.ringFull++;
      if (fits) this.fail(`add of ${total} segments refused with ${m.free} free, ${need} needed`, false);
    } else if (this.stats.driverError === null) {
      this.fail('add refused as broken with no ring error seen', true);
    }
  }

  /** Kick decision, kick (reported to the observer first), `afterDriverStep`. */
  private endDriverStep(): void {
    const edge = this.config.eventIdx && this.addedSinceKick > 0 && this.probe.kickEventOnEdge(this.driverWindowStart, this.probe.driverPosition(this.driver));
    if (this.driver.kickPrepare()) {
      this.stats.kicks++;
      this.observer?.onDriverNotify();
    } else if (this.addedSinceKick > 0) {
      this.stats.kicksSuppressed++;
    }
    if (edge) this.stats.eventEdges++;
    this.addedSinceKick = this.driverWindowDescs = 0;
    this.driverWindowStart = this.probe.driverPosition(this.driver);
    this.observer?.afterDriverStep();
  }

  private reap(max: number): void {
    const m = this.model;
    for (let k = 0; k < max; k++) {
      const r = this.driver.getUsed();
      if (r === null) {
        if (m.usedCount > 0 && this.stats.driverError === null) this.fail(`driver collected nothing with token ${m.nextUsed()} used`, false);
        return;
      }
      if (r.kind === 'ring-error') {
        this.stats.driverError = r;
        return this.fail(`driver ring error ${r.code}: ${r.message}`, false);
      }
      const t = r.token;
      const want = m.nextUsed();
      if (this.lost) continue;
      if (t !== want) return this.fail(`driver collected token ${t}, expected ${want}`, true);
      if (r.len !== m.len[t]) this.fail(`token ${t} came back with len ${r.len}, the device reported ${m.len[t]}`, false);
      if (r.len > (m.writable[t] as number)) this.fail(`token ${t} came back with len ${r.len} > ${m.writable[t]} writable bytes`, false);
      m.collect(t);
      this.stats.buffersCollected++;
    }
  }

  // ------------------------------------------------------------------ device

  private pop(max: number): void {
    const m = this.model;
    for (let k = 0; k < max; k++) {
      const r = this.device.pop();
      if (r === null) {
        if (m.popCursor < m.added && !this.lost) this.fail(`device popped nothing with token ${m.popCursor} available`, false);
        return;
      }
      if (r.kind === 'ring-error') return this.deviceFailed(r);
      const t = this.lost || m.popCursor >= m.added ? -1 : m.popCursor;
      if (t < 0) this.fail('device popped a chain the driver never made available', true);
      else {
        const mismatch = m.chainMismatch(r, t, this.plan.regionBase);
        if (mismatch !== null) this.fail(mismatch, false);
        m.pop(t);
      }
      if (r.indirect) this.stats.indirectChains++;
      if (r.count > RING_SCENARIO_INDIRECT_ENTRIES) this.stats.longChains++;
      this.held[this.heldCount] = r;
      this.heldToken[this.heldCount++] = t;
    }
  }

  private push(n: number, b: number, c: number, deferred: boolean): void {
    const m = this.model;
    for (let k = 0; k < n && this.heldCount > 0; k++) {
      const i = this.config.inOrder ? 0 : (b + k) % this.heldCount;
      const chain = this.held[i] as DeviceChain;
      const t = this.heldToken[i] as number;
      this.heldCount--;
      for (let j = i; j < this.heldCount; j++) {
        this.held[j] = this.held[j + 1] as DeviceChain;
        this.heldToken[j] = this.heldToken[j + 1] as number;
      }
      this.held[this.heldCount] = null;
      const w = chain.writableBytes;
      const pick = (c + k) & 3;
      const len = pick === 0 ? 0 : pick === 1 ? w : pick === 2 ? (b * 7 + k) % (w + 1) : w >>> 1;
      if (len > 0) writeChain(this.mem, chain, PATTERN_VIEWS[len] as Uint8Array);
      if (this.lapBound && this.deviceWindowDescs + this.deferredDescs + chain.ringDescs > this.config.size) this.endDeviceStep();
      if (deferred) {
        this.deferredDescs += chain.ringDescs;
        this.device.pushDeferred(chain, len);
        if (t >= 0 && !this.lost) m.defer(t, len);
      } else {
        const flushing = m.deferredCount;
        this.device.push(chain, len);
        this.deviceWindowDescs += this.deferredDescs + chain.ringDescs;
        this.deferredDescs = 0;
        if (flushing > 1) this.stats.batches++;
        if (t >= 0 && !this.lost) m.push(t, len);
        this.usedSinceNotify++;
      }
    }
  }

  /** The device published its deferred batch. */
  private flushed(): void {
    if (this.model.flushDeferred() > 1) this.stats.batches++;
    this.usedSinceNotify++;
    this.deviceWindowDescs += this.deferredDescs;
    this.deferredDescs = 0;
  }

  /** Notification decision, interrupt (reported to the observer first), `afterDeviceStep`. */
  private endDeviceStep(): void {
    const edge = this.config.eventIdx && this.usedSinceNotify > 0 && this.probe.notifyEventOnEdge(this.deviceWindowStart);
    if (this.device.needsNotify()) {
      this.stats.interrupts++;
      this.observer?.onUsedBufferNotification();
      this.driver.noteInterrupt();
    } else if (this.usedSinceNotify > 0) {
      this.stats.interruptsSuppressed++;
    }
    if (edge) this.stats.eventEdges++;
    this.usedSinceNotify = this.deviceWindowDescs = 0;
    this.deviceWindowStart = this.probe.usedIdx();
    this.observer?.afterDeviceStep();
  }

  private deviceFailed(e: DeviceRingError): void {
    if (this.stats.deviceError === null) this.stats.deviceError = e;
    this.fail(`device ring error ${e.code}: ${e.message}`, true);
  }

  // ------------------------------------------------------------------ checks

  private fail(message: string, lost: boolean): void {
    if (this.stats.modelError === null && !this.lost) this.stats.modelError = `step ${this.stats.steps}: ${message}`;
    if (lost) this.lost = true;
  }

  private checkSteady(): void {
    const m = this.model;
    if (this.lost || this.stats.modelError !== null) return;
    if (this.driver.numFree !== m.free) return this.fail(`driver has ${this.driver.numFree} free, model ${m.free}`, false);
    if (this.device.inFlight !== m.held) return this.fail(`device holds ${this.device.inFlight} chains, model ${m.held}`, false);
    const obs = this.observer;
    if (obs === null || obs.desynchronized) return;
    const wrong = m.outstandingMismatch(obs instanceof SplitRingObserver ? obs.outstandingHeads : obs.outstandingIds);
    if (wrong !== null) this.fail(wrong, false);
  }

  /** Gives every buffer back: kick, pop all, use all in order, notify, collect all. */
  private drain(): void {
    this.endDriverStep();
    this.pop(2 * this.config.size);
    this.push(this.config.size, 0, 1, false);
    if (this.device.flushDeferred() > 0) this.flushed();
    this.endDeviceStep();
    this.reap(2 * this.config.size);
    this.observer?.afterDriverStep();
  }

  private finish(): void {
    const m = this.model;
    this.checkSteady();
    if (!this.lost) {
      if (m.uncollected !== 0) this.fail(`${m.uncollected} buffers never came back after the drain`, false);
      else if (this.driver.numFree !== this.config.size) this.fail(`driver has ${this.driver.numFree} of ${this.config.size} free after the drain`, false);
    }
    this.stats.findings = this.observer === null ? [] : this.observer.findings;
  }

}
