/**
 * A tap on the instrument's control queue for driver-side checks: every command the driver under
 * test makes available is recorded as the instrument receives it — class, command, payload,
 * result room — with what was negotiated and which queues were enabled at that moment, and the
 * ack the instrument gave. Framing faults the instrument itself refuses (no writable ack byte,
 * no class and command) are in its event log under `net.ctrl.any.1`.
 *
 * The tap sits on the instrument (the reference device), never on the driver: what it records
 * is what crossed the seam.
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import type { NetControlPort } from '../../../reference-impl/net/control-port.js';

/** One command as the instrument received it. */
export interface TappedCommand {
  /** Order of arrival, from 0. */
  readonly seq: number;
  readonly klass: number;
  readonly command: number;
  /** The device-readable bytes after class and command. */
  readonly payload: Uint8Array;
  /** Device-writable bytes after the ack byte. */
  readonly resultRoom: number;
  /** Features negotiated when the command arrived. */
  readonly negotiated: FeatureSet;
  /** Virtqueue indices enabled when the command arrived. */
  readonly enabledQueues: readonly number[];
  /** The instrument's ack (set once it answered). */
  ack: number | null;
}

/** A framing fault the instrument reported. */
export interface FramingFault {
  readonly clause: string | null;
  readonly message: string;
}

/** The commands and framing faults of one instrument, as they happen. */
export class ControlTap {
  /** Every command received, oldest first. */
  readonly commands: TappedCommand[] = [];

  private constructor(private readonly device: ReferenceDeviceUnderTest) {}

  /**
   * Taps `device`'s control state at every activation (DRIVER_OK). Call before the driver
   * probes.
   */
  static attach(device: ReferenceDeviceUnderTest): ControlTap {
    const tap = new ControlTap(device);
    const net = device.reference.net;
    const activate = net.activate.bind(net);
    net.activate = (context) => {
      activate(context);
      const port = net.control;
      if (port !== null) tap.wrap(port);
    };
    return tap;
  }

  private wrap(port: NetControlPort): void {
    const core = this.device.reference.core;
    const handle = port.handleCommand.bind(port);
    port.handleCommand = (klass, command, payload, resultRoom) => {
      const enabledQueues: number[] = [];
      for (const q of core.queueRegisters.all) if (q.enabled) enabledQueues.push(q.index);
      const record: TappedCommand = {
        seq: this.commands.length,
        klass,
        command,
        payload: payload.slice(),
        resultRoom,
        negotiated: core.negotiatedFeatures,
        enabledQueues,
        ack: null,
      };
      this.commands.push(record);
      const outcome = handle(klass, command, payload, resultRoom);
      record.ack = outcome.kind === 'ack' ? outcome.ack : null;
      return outcome;
    };
  }

  /** Framing faults the instrument reported about controlq buffers (clause `net.ctrl.any.1`). */
  framingFaults(): readonly FramingFault[] {
    return this.device.reference.netEvents
      .ofKind('driver-violation')
      .filter((e) => e.clause === 'net.ctrl.any.1')
      .map((e) => ({ clause: e.clause, message: e.message }));
  }

  /** Commands received since index `from`. */
  since(from: number): readonly TappedCommand[] {
    return this.commands.slice(from);
  }
}
