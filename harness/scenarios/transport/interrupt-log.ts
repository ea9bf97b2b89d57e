/**
 * What a device under test signals, as the harness sees it at the register seam: MSI-X messages
 * by vector, INTx level changes (PCI) and interrupt line changes with the InterruptStatus they
 * came with (MMIO), in order, from the moment the log is opened.
 *
 * @module
 */

import type { MmioInterrupt, PciInterrupt } from '../../../reference-impl/transport/register-access.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';

/** One interrupt seen at the seam. */
export type SeenInterrupt = PciInterrupt | MmioInterrupt;

/** An open log of a device's interrupts. */
export class InterruptLog {
  readonly #seen: SeenInterrupt[] = [];
  readonly #stop: () => void;

  constructor(device: DeviceUnderTest) {
    const registers = device.registers;
    this.#stop =
      registers.transport === 'pci'
        ? registers.access.onInterrupt((i) => void this.#seen.push(i))
        : registers.access.onInterrupt((i) => void this.#seen.push(i));
  }

  /** Everything seen so far, oldest first. */
  get all(): readonly SeenInterrupt[] {
    return this.#seen;
  }

  /** Entries seen after position `mark` (a previous `all.length`). */
  since(mark: number): readonly SeenInterrupt[] {
    return this.#seen.slice(mark);
  }

  /** MSI-X vectors signalled after `mark`, in order. */
  vectorsSince(mark: number): readonly number[] {
    return this.since(mark).flatMap((i) => (i.kind === 'msix' ? [i.vector] : []));
  }

  /** Rising edges of INTx or the MMIO line after `mark`. */
  assertionsSince(mark: number): number {
    return this.since(mark).filter((i) => i.kind !== 'msix' && i.asserted).length;
  }

  /** The line level as last reported (false when nothing was seen). */
  get lineAsserted(): boolean {
    for (let k = this.#seen.length - 1; k >= 0; k--) {
      const i = this.#seen[k] as SeenInterrupt;
      if (i.kind !== 'msix') return i.asserted;
    }
    return false;
  }

  /** Stops listening. */
  close(): void {
    this.#stop();
  }
}
