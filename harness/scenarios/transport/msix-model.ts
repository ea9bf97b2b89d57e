/**
 * A model-based scenario for the MSI-X vector registers of a virtio-pci device
 * (`config_msix_vector`, `queue_msix_vector`): vector writes for the config event and for any
 * queue — valid vectors, vectors past the MSI-X table, NO_VECTOR — read-backs, device resets,
 * and reads of queue indices the device does not have, in any order (`fc.commands`).
 *
 * The model holds what each register may read: the vector written or, for a valid vector,
 * NO_VECTOR too (a device may fail a mapping it cannot make and report it so, `pci.msix.device.9`;
 * the first read-back fixes which). It is written from the clauses, not from a device.
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { describeVector, type PciWindow } from './register-window.js';
import { violation } from './property.js';

/** What one vector register may read, and the clause that says so. */
interface Expected {
  /** The vector the register must show. */
  readonly vector: number;
  /** NO_VECTOR is also allowed (a valid vector written and not read back yet). */
  readonly mayHaveFailed: boolean;
  readonly clause: string;
}

const AFTER_RESET: Expected = { vector: VIRTIO_MSI_NO_VECTOR, mayHaveFailed: false, clause: 'pci.msix.device.7' };

/** The model: the config vector and each queue's vector. */
export interface VectorModel {
  config: Expected;
  readonly queues: Expected[];
}

/** The system under test: a PCI window at FEATURES_OK with MSI-X on, and a way back there after a reset. */
export interface VectorReal {
  readonly window: PciWindow;
  /** MSI-X Table Size + 1. */
  readonly tableSize: number;
  /** Queues that exist (queue_size > 0), by index. */
  readonly queues: readonly number[];
  /** Indices the device does not have (past num_queues). */
  readonly missing: readonly number[];
  /** Resets the device, polls status 0; false when the reset never completed. */
  reset(): Promise<boolean>;
  /** Brings the device back to FEATURES_OK after a reset. */
  reinit(): Promise<void>;
}

/** A fresh model for `queueCount` queues after a reset (`pci.msix.device.7`). */
export function vectorModel(queueCount: number): VectorModel {
  return { config: AFTER_RESET, queues: Array.from({ length: queueCount }, () => AFTER_RESET) };
}

function afterWrite(vector: number, tableSize: number): Expected {
  if (vector === VIRTIO_MSI_NO_VECTOR) return { vector, mayHaveFailed: false, clause: 'pci.msix.device.5' };
  if (vector >= tableSize) return { vector: VIRTIO_MSI_NO_VECTOR, mayHaveFailed: false, clause: 'pci.msix.device.9' };
  return { vector, mayHaveFailed: true, clause: 'pci.msix.device.6' };
}

const EXPECTED_TEXT: Readonly<Record<string, string>> = {
  'pci.msix.device.5': 'an event unmapped with NO_VECTOR reads NO_VECTOR (0xffff)',
  'pci.msix.device.6': 'the register reads the vector mapped, or NO_VECTOR when the mapping failed',
  'pci.msix.device.7': 'every vector reads NO_VECTOR after reset until the driver maps it',
  'pci.msix.device.9': 'a mapping the device cannot make (a vector past the MSI-X table) reads back NO_VECTOR',
};

function judge(what: string, expected: Expected, read: number, tableSize: number): Expected {
  if (read === expected.vector) return { ...expected, mayHaveFailed: false };
  if (expected.mayHaveFailed && read === VIRTIO_MSI_NO_VECTOR) return { vector: read, mayHaveFailed: false, clause: 'pci.msix.device.9' };
  const shown = expected.mayHaveFailed ? `${expected.vector} or NO_VECTOR` : describeVector(expected.vector);
  return violation(expected.clause, `${what} reads ${describeVector(read)} where the model allows ${shown} (MSI-X table of ${tableSize})`, EXPECTED_TEXT[expected.clause] ?? '');
}

type VectorCommand = fc.AsyncCommand<VectorModel, VectorReal>;

class WriteConfig implements VectorCommand {
  constructor(readonly vector: number) {}
  check(): boolean {
    return true;
  }
  async run(m: VectorModel, r: VectorReal): Promise<void> {
    await r.window.writeConfigVector(this.vector);
    m.config = afterWrite(this.vector, r.tableSize);
  }
  toString(): string {
    return `config_msix_vector := ${describeVector(this.vector)}`;
  }
}

class WriteQueue implements VectorCommand {
  constructor(
    readonly slot: number,
    readonly vector: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: VectorModel, r: VectorReal): Promise<void> {
    const k = this.slot % r.queues.length;
    await r.window.selectQueue(r.queues[k] as number);
    await r.window.writeQueueVector(this.vector);
    m.queues[k] = afterWrite(this.vector, r.tableSize);
  }
  toString(): string {
    return `queue[slot ${this.slot}].queue_msix_vector := ${describeVector(this.vector)}`;
  }
}

class ReadConfig implements VectorCommand {
  check(): boolean {
    return true;
  }
  async run(m: VectorModel, r: VectorReal): Promise<void> {
    m.config = judge('config_msix_vector', m.config, await r.window.readConfigVector(), r.tableSize);
  }
  toString(): string {
    return 'read config_msix_vector';
  }
}

class ReadQueue implements VectorCommand {
  constructor(readonly slot: number) {}
  check(): boolean {
    return true;
  }
  async run(m: VectorModel, r: VectorReal): Promise<void> {
    const k = this.slot % r.queues.length;
    const q = r.queues[k] as number;
    await r.window.selectQueue(q);
    m.queues[k] = judge(`queue_msix_vector of queue ${q}`, m.queues[k] as Expected, await r.window.readQueueVector(), r.tableSize);
  }
  toString(): string {
    return `read queue[slot ${this.slot}].queue_msix_vector`;
  }
}

class ReadMissing implements VectorCommand {
  constructor(readonly slot: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: VectorModel, r: VectorReal): Promise<void> {
    if (r.missing.length === 0) return;
    const q = r.missing[this.slot % r.missing.length] as number;
    await r.window.selectQueue(q);
    const size = await r.window.readQueueMax();
    if (size !== 0) violation('pci.common.device.14', `queue_size reads ${size} for queue_select ${q}, past num_queues`, 'queue_size reads 0 for a queue the device does not have');
  }
  toString(): string {
    return `read queue_size of missing queue slot ${this.slot}`;
  }
}

class Reset implements VectorCommand {
  check(): boolean {
    return true;
  }
  async run(m: VectorModel, r: VectorReal): Promise<void> {
    if (!(await r.reset())) throw new Error('the device never read status 0 after a reset');
    const config = await r.window.readConfigVector();
    if (config !== VIRTIO_MSI_NO_VECTOR) violation('pci.msix.device.7', `config_msix_vector reads ${describeVector(config)} after a reset`, 'every vector reads NO_VECTOR after reset');
    for (const q of r.queues) {
      await r.window.selectQueue(q);
      const v = await r.window.readQueueVector();
      if (v !== VIRTIO_MSI_NO_VECTOR) violation('pci.msix.device.7', `queue_msix_vector of queue ${q} reads ${describeVector(v)} after a reset`, 'every vector reads NO_VECTOR after reset');
    }
    Object.assign(m, vectorModel(r.queues.length));
    await r.reinit();
  }
  toString(): string {
    return 'reset';
  }
}

/** Vectors worth writing for a table of `tableSize`: inside it, just past it, far past it, NO_VECTOR. */
export function vectorArbitrary(tableSize: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: tableSize - 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: tableSize, max: Math.min(tableSize + 2, 0xfffe) }) },
    { weight: 1, arbitrary: fc.integer({ min: tableSize, max: 0xfffe }) },
    { weight: 1, arbitrary: fc.constant(VIRTIO_MSI_NO_VECTOR) },
  );
}

/** Command lists over a table of `tableSize` vectors. */
export function vectorCommands(tableSize: number): fc.Arbitrary<Iterable<VectorCommand>> {
  const slot = fc.nat(15);
  const vector = vectorArbitrary(tableSize);
  return fc.commands(
    [
      vector.map((v) => new WriteConfig(v)),
      fc.tuple(slot, vector).map(([s, v]) => new WriteQueue(s, v)),
      fc.constant(new ReadConfig()),
      slot.map((s) => new ReadQueue(s)),
      slot.map((s) => new ReadMissing(s)),
      fc.constant(new Reset()),
    ],
    { maxCommands: 24 },
  );
}
