/**
 * The net device's own event log: drops with their reason and clause,
 * deliveries, control commands, ignored config writes and driver rule
 * breaks the net device noticed. Interrupts, config changes and status
 * live in the core's `DeviceEventLog`; together the two tell the whole
 * story of a run.
 *
 * @module
 */

import type { RxDropReason, TxDropReason } from './counters.js';

/** One thing the net device observed or did. */
export type NetEvent =
  /** A transmit chain was consumed and its frame dropped. */
  | {
      readonly kind: 'tx-drop';
      readonly queue: number;
      readonly reason: TxDropReason;
      readonly clause: string | null;
      readonly message: string;
    }
  /** A frame from the wire was not delivered; `queue` is −1 when no queue was chosen yet. */
  | {
      readonly kind: 'rx-drop';
      readonly queue: number;
      readonly reason: RxDropReason;
      readonly clause: string | null;
      readonly message: string;
    }
  /** A frame was delivered into `buffers` receive buffers of `queue`. */
  | { readonly kind: 'rx-deliver'; readonly queue: number; readonly length: number; readonly buffers: number }
  /** A control command was answered. */
  | {
      readonly kind: 'ctrl-command';
      readonly klass: number;
      readonly command: number;
      readonly ack: number;
      readonly resultLength: number;
    }
  /** A driver write to the read-only config space was ignored (`net.cfg.driver.1`). */
  | { readonly kind: 'config-write-ignored'; readonly offset: number; readonly width: number; readonly value: number }
  /**
   * The driver broke a rule that the device tolerated (e.g. nonzero
   * transmit `num_buffers`, `net.tx.driver.2`) or could not tolerate.
   */
  | { readonly kind: 'driver-violation'; readonly clause: string | null; readonly message: string }
  /** The steering answer named an inactive pair and was corrected (bug D8). */
  | { readonly kind: 'steer-corrected'; readonly asked: number; readonly used: number; readonly activePairs: number };

/** The `kind` values of {@link NetEvent}. */
export type NetEventKind = NetEvent['kind'];

/** Options of {@link NetEventLog}. */
export interface NetEventLogOptions {
  /** Keep events in {@link NetEventLog.events}; listeners are called either way. @default true */
  readonly record?: boolean;
  /** Most events kept; later ones are counted in {@link NetEventLog.dropped}. @default 100000 */
  readonly capacity?: number;
}

/** Append-only log of {@link NetEvent}s with listeners. */
export class NetEventLog {
  private readonly stored: NetEvent[] = [];
  private readonly listeners = new Set<(event: NetEvent) => void>();
  private readonly record: boolean;
  private readonly capacity: number;
  private droppedCount = 0;

  constructor(options: NetEventLogOptions = {}) {
    this.record = options.record ?? true;
    this.capacity = options.capacity ?? 100_000;
  }

  /** Every recorded event, oldest first. */
  get events(): readonly NetEvent[] {
    return this.stored;
  }

  /** Events not stored because the log was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Records `event` and tells every listener. */
  emit(event: NetEvent): void {
    if (this.record) {
      if (this.stored.length < this.capacity) this.stored.push(event);
      else this.droppedCount++;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Calls `listener` for every later event; returns its remover. */
  subscribe(listener: (event: NetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The recorded events of one kind, oldest first. */
  ofKind<K extends NetEventKind>(kind: K): readonly Extract<NetEvent, { kind: K }>[] {
    return this.stored.filter((e): e is Extract<NetEvent, { kind: K }> => e.kind === kind);
  }

  /** Forgets the recorded events (listeners stay). */
  clear(): void {
    this.stored.length = 0;
    this.droppedCount = 0;
  }
}
