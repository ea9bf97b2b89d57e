/**
 * A model of the device status field as the spec lets a device behave, for `fc.commands`: the
 * harness writes status bits in any order, writes feature subsets and resets; after each step the
 * status read back must be one the spec allows. The model holds what the driver wrote and what the
 * device has answered, never how the device works inside:
 *
 * - a reset reads back 0 (`reset.device.1`, `pci.common.device.7`);
 * - FEATURES_OK reads back set (kept) or clear (refused) after the driver sets it, a kept
 *   FEATURES_OK stays set until reset, and it never shows unless the device kept it
 *   (`features.device.3`): whichever order the other bits come in, and whatever features are
 *   written after it.
 *
 * Nothing else is demanded: the device may set DEVICE_NEEDS_RESET whenever it meets an error
 * (a DRIVER_OK before FEATURES_OK, say), and the spec states no rule on the other bits.
 *
 * @module
 */

import fc from 'fast-check';
import { type FeatureSet, featureNames } from '../../../specs/features/feature-set.js';
import {
  describeStatus,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from '../../../specs/status.js';
import { type DeviceSession, RESET_POLL_LIMIT } from './device-session.js';
import { violation } from './property.js';

/** What the spec lets the harness expect of the status field. */
export interface StatusModel {
  /** The device's answer to FEATURES_OK since the last reset: null before the driver set it. */
  featuresOk: boolean | null;
}

/** A fresh model: the state right after a completed reset. */
export function resetModel(): StatusModel {
  return { featuresOk: null };
}

type StatusCommand = fc.AsyncCommand<StatusModel, DeviceSession>;

/** Judges one status read against the model (`features.device.3`). */
function judge(model: StatusModel, read: number, step: string): void {
  const ok = (read & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
  if (model.featuresOk === true && !ok) {
    violation('features.device.3', `after ${step} status read ${describeStatus(read)}: the device withdrew a FEATURES_OK it had kept`, 'a kept FEATURES_OK stays set until reset');
  }
  if (model.featuresOk !== true && ok) {
    violation('features.device.3', `after ${step} status read ${describeStatus(read)}: FEATURES_OK set though the device had not kept it`, 'FEATURES_OK shows only once the device kept it after the driver set it');
  }
}

/**
 * Writes 0 and polls for status 0; a device still showing another value after
 * {@link RESET_POLL_LIMIT} reads breaks `reset.device.1` (`pci.common.device.7`).
 */
export async function checkedReset(session: DeviceSession): Promise<void> {
  await session.raw.writeStatus(0);
  let last = -1;
  for (let i = 0; i < RESET_POLL_LIMIT && last !== 0; i++) last = await session.raw.readStatus();
  if (last !== 0) {
    violation('reset.device.1', `status still read ${describeStatus(last)} ${RESET_POLL_LIMIT} reads after a reset write`, 'status reads 0 once the reset is complete');
  }
}

/** Writes 0 and waits for status 0 (`reset.device.1`, `pci.common.device.7`). */
class ResetCommand implements StatusCommand {
  check(): boolean {
    return true;
  }
  async run(model: StatusModel, session: DeviceSession): Promise<void> {
    await checkedReset(session);
    Object.assign(model, resetModel());
  }
  toString(): string {
    return 'reset';
  }
}

const BIT_NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_CONFIG_S_ACKNOWLEDGE]: 'ACKNOWLEDGE',
  [VIRTIO_CONFIG_S_DRIVER]: 'DRIVER',
  [VIRTIO_CONFIG_S_FEATURES_OK]: 'FEATURES_OK',
  [VIRTIO_CONFIG_S_DRIVER_OK]: 'DRIVER_OK',
  [VIRTIO_CONFIG_S_FAILED]: 'FAILED',
};

/** Sets one bit on top of the status read, as Linux `virtio_add_status` does. */
class SetBitCommand implements StatusCommand {
  constructor(readonly bit: number) {}
  check(): boolean {
    return true;
  }
  async run(model: StatusModel, session: DeviceSession): Promise<void> {
    const before = await session.raw.readStatus();
    judge(model, before, `${this} (read before)`);
    await session.raw.writeStatus(before | this.bit);
    const after = await session.raw.readStatus();
    if (this.bit === VIRTIO_CONFIG_S_FEATURES_OK && model.featuresOk !== true) model.featuresOk = (after & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
    judge(model, after, String(this));
  }
  toString(): string {
    return `set ${BIT_NAMES[this.bit] ?? this.bit}`;
  }
}

/** Writes a feature subset (at any point: after FEATURES_OK the device must ignore it). */
class WriteFeaturesCommand implements StatusCommand {
  constructor(readonly features: FeatureSet) {}
  check(): boolean {
    return true;
  }
  async run(model: StatusModel, session: DeviceSession): Promise<void> {
    await session.raw.writeDriverFeatures(this.features);
    judge(model, await session.raw.readStatus(), String(this));
  }
  toString(): string {
    return `write features {${featureNames(this.features).join(', ')}}`;
  }
}

/** The conformant steps up to FEATURES_OK in one command: ACKNOWLEDGE, DRIVER, a feature write, FEATURES_OK. */
class InitCommand implements StatusCommand {
  constructor(readonly features: FeatureSet) {}
  check(): boolean {
    return true;
  }
  async run(model: StatusModel, session: DeviceSession): Promise<void> {
    await new SetBitCommand(VIRTIO_CONFIG_S_ACKNOWLEDGE).run(model, session);
    await new SetBitCommand(VIRTIO_CONFIG_S_DRIVER).run(model, session);
    await new WriteFeaturesCommand(this.features).run(model, session);
    await new SetBitCommand(VIRTIO_CONFIG_S_FEATURES_OK).run(model, session);
  }
  toString(): string {
    return `init with {${featureNames(this.features).join(', ')}}`;
  }
}

/**
 * One model-based run: a checked reset, then (when `init` is given) the conformant steps up to
 * FEATURES_OK with that subset, then `commands`. Starting most runs from a negotiated state lets
 * short command lists reach what follows a kept FEATURES_OK.
 */
export async function runStatusModel(session: DeviceSession, init: FeatureSet | null, commands: Iterable<StatusCommand>): Promise<void> {
  await checkedReset(session);
  const model = resetModel();
  if (init !== null) await new InitCommand(init).run(model, session);
  await fc.asyncModelRun(() => ({ model, real: session }), commands);
}

/**
 * Command lists over the status field: resets, single-bit sets in any order, feature writes drawn
 * from `subsets`, and conformant inits with `valid` subsets, so that runs reach a kept FEATURES_OK
 * and what follows it. `replayPath` (from a reported replay, see `splitReplayPath`) rebuilds a
 * shrunk list exactly.
 */
export function statusCommands(subsets: fc.Arbitrary<FeatureSet>, valid: fc.Arbitrary<FeatureSet>, replayPath?: string): fc.Arbitrary<Iterable<StatusCommand>> {
  const bit = fc.constantFrom(
    VIRTIO_CONFIG_S_ACKNOWLEDGE,
    VIRTIO_CONFIG_S_DRIVER,
    VIRTIO_CONFIG_S_FEATURES_OK,
    VIRTIO_CONFIG_S_DRIVER_OK,
    VIRTIO_CONFIG_S_FAILED,
  );
  return fc.commands(
    [
      fc.constant(new ResetCommand()),
      bit.map((b) => new SetBitCommand(b)),
      fc.constant(new SetBitCommand(VIRTIO_CONFIG_S_DRIVER_OK)),
      subsets.map((f) => new WriteFeaturesCommand(f)),
      valid.map((f) => new InitCommand(f)),
    ],
    { maxCommands: 16, ...(replayPath === undefined ? {} : { replayPath }) },
  );
}
