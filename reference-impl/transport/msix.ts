/**
 * MSI-X table and pending-bit array of the PCI model (PCI Local Bus 3.0
 * §6.8.2), as far as virtio needs it: per-vector address/data/mask, the
 * function mask and enable bits of Message Control, pending bits for masked
 * vectors, and delivery of a message to a listener instead of a memory write.
 *
 * @module
 */

import type { InterruptDelivery } from '../device/events.js';
import type { PciInterrupt } from './register-access.js';

/** Message Control bit 15: MSI-X enable. */
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
/** Message Control bit 14: function mask. */
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
/** Bytes per MSI-X table entry. */
export const PCI_MSIX_ENTRY_SIZE = 16;
/** Vector Control bit 0: the entry is masked. */
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 1;

/** The MSI-X state of one function. */
export class MsixTable {
  /** Enable bit of Message Control. */
  enabled = false;
  /** Function Mask bit of Message Control. */
  functionMasked = false;
  /** Entries as u32 words: address lo, address hi, data, vector control. */
  private readonly table: Uint32Array;
  private readonly pending: Uint8Array;

  constructor(
    /** Table Size (number of vectors). */
    readonly size: number,
    private readonly send: (interrupt: PciInterrupt) => void,
  ) {
    this.table = new Uint32Array(size * 4);
    this.pending = new Uint8Array(size);
    // Entries come out of PCI reset masked.
    for (let v = 0; v < size; v++) this.table[v * 4 + 3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
  }

  /** Byte size of the table. */
  get tableBytes(): number {
    return this.size * PCI_MSIX_ENTRY_SIZE;
  }

  /** Byte size of the pending-bit array (whole u64 words, as PCI requires). */
  get pbaBytes(): number {
    return Math.ceil(this.size / 64) * 8;
  }

  /** Reads a table dword at byte `offset`. */
  readTable(offset: number): number {
    return this.table[offset >>> 2] ?? 0;
  }

  /** Writes a table dword at byte `offset`; unmasking an entry releases its pending message. */
  writeTable(offset: number, value: number): void {
    const word = offset >>> 2;
    if (word >= this.table.length) return;
    this.table[word] = value >>> 0;
    if ((word & 3) === 3) this.release(word >>> 2);
  }

  /** Reads a pending-bit-array dword at byte `offset`. */
  readPba(offset: number): number {
    let value = 0;
    const first = (offset >>> 2) * 32;
    for (let bit = 0; bit < 32; bit++) if (this.pending[first + bit] === 1) value |= 1 << bit;
    return value >>> 0;
  }

  /** New Message Control bits from config space; clearing the function mask or enabling releases pending messages. */
  setControl(enabled: boolean, functionMasked: boolean): void {
    this.enabled = enabled;
    this.functionMasked = functionMasked;
    for (let v = 0; v < this.size; v++) this.release(v);
  }

  /** Signals `vector`: sent now, or left pending while masked. The caller checked `vector < size`. */
  signal(vector: number): InterruptDelivery {
    if (this.masked(vector)) {
      this.pending[vector] = 1;
      return { kind: 'msix-pending', vector };
    }
    this.deliver(vector);
    return { kind: 'msix', vector };
  }

  /** Drops every pending message (device reset: the vectors are no longer in use). */
  clearPending(): void {
    this.pending.fill(0);
  }

  private masked(vector: number): boolean {
    return this.functionMasked || ((this.table[vector * 4 + 3] as number) & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  private release(vector: number): void {
    if (this.pending[vector] !== 1 || !this.enabled || this.masked(vector)) return;
    this.pending[vector] = 0;
    this.deliver(vector);
  }

  private deliver(vector: number): void {
    const e = vector * 4;
    this.send({
      kind: 'msix',
      vector,
      addressLo: this.table[e] as number,
      addressHi: this.table[e + 1] as number,
      data: this.table[e + 2] as number,
    });
  }
}
