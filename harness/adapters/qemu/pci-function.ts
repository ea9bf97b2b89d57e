/**
 * One virtio-pci function of a QEMU, as the {@link PciRegisterAccess} the harness's transport
 * drivers use: configuration space through ports 0xCF8/0xCFC, BAR accesses at the BARs' current
 * bus addresses, interrupts reported through `onInterrupt`.
 *
 * Interrupts. With no guest CPU to take them, INTx is observed as qtest `IRQ raise/lower` lines of
 * the intercepted IOAPIC inputs, and MSI-X with the libqos trick (qemu-qtest.md §3.5): the driver's
 * writes to a table entry's Message Address and Data are kept in a shadow table (reads return
 * them), while QEMU's entry is pointed at a 4-byte slot in guest RAM with a non-zero data value.
 * An MSI-X message then becomes a memory write, which a poll loop (running while MSI-X is enabled
 * and a listener is subscribed) turns into `{ kind: 'msix', vector, addressLo, addressHi, data }`
 * with the driver's own address and data. Vector Control (the mask bit) and the PBA go to QEMU
 * untouched, so masking stays QEMU's behaviour. Two messages on one vector between two polls are
 * seen as one.
 *
 * @module
 */

import {
  type AccessWidth,
  Listeners,
  type PciInterrupt,
  type PciRegisterAccess,
  type Unsubscribe,
} from '../../../reference-impl/transport/register-access.js';
import { type PciBdf, type PciMsixLocation, type PciNotifyLocation, pciConfigRead, pciConfigWrite } from './pci-host.js';
import type { QtestClient } from './qtest-client.js';

/** Options of {@link QemuPciFunction}. */
export interface QemuPciFunctionOptions {
  /** The MSI-X capability (null: the function has none, or interception is off). */
  readonly msix: PciMsixLocation | null;
  /** Guest-physical address of the MSI-X message slots (4 bytes per vector), outside what the harness allocates. */
  readonly msixSlots: number;
  /** The notification structure: a write there is followed by {@link QemuPciFunction.settle}. */
  readonly notify?: PciNotifyLocation | null;
  /** Interval of the MSI-X poll. @default 2 */
  readonly pollIntervalMs?: number;
  /** IOAPIC input lines that are this function's INTx. @default 16..23 (q35 PIRQ A..H) */
  readonly intxLines?: readonly number[];
}

const BAR_REGS_START = 0x10;
const BAR_REGS_END = 0x28;
const MSIX_ENTRY_SIZE = 16;
const MSIX_ENABLE = 0x8000;

/** The register access of one function. */
export class QemuPciFunction implements PciRegisterAccess {
  readonly #qtest: QtestClient;
  readonly #bdf: PciBdf;
  readonly #msix: PciMsixLocation | null;
  readonly #slots: number;
  readonly #pollMs: number;
  readonly #notify: PciNotifyLocation | null;
  readonly #listeners = new Listeners<PciInterrupt>();
  /** The driver's view of each table entry's address/data dwords (Vector Control is QEMU's). */
  readonly #shadow: Uint32Array;
  #bases: number[] | null = null;
  #msixEnabled = false;
  #pollTimer: NodeJS.Timeout | null = null;
  #polling = false;
  #closed = false;
  #subscribers = 0;
  readonly #unsubscribeIrq: () => void;
  /** MSI-X messages seen (for timings and tests). */
  msixMessages = 0;

  constructor(qtest: QtestClient, bdf: PciBdf, options: QemuPciFunctionOptions) {
    this.#qtest = qtest;
    this.#bdf = bdf;
    this.#msix = options.msix;
    this.#slots = options.msixSlots;
    this.#pollMs = options.pollIntervalMs ?? 2;
    this.#notify = options.notify ?? null;
    this.#shadow = new Uint32Array((options.msix?.tableSize ?? 0) * 3);
    const lines = new Set(options.intxLines ?? [16, 17, 18, 19, 20, 21, 22, 23]);
    this.#unsubscribeIrq = qtest.onIrq((line, raised) => {
      if (lines.has(line)) this.#listeners.emit({ kind: 'intx', asserted: raised });
    });
  }

  /** The function's bus/device/function. */
  get bdf(): PciBdf {
    return this.#bdf;
  }

  async readConfig(offset: number, width: AccessWidth): Promise<number> {
    return pciConfigRead(this.#qtest, this.#bdf, offset, width);
  }

  async writeConfig(offset: number, width: AccessWidth, value: number): Promise<void> {
    await pciConfigWrite(this.#qtest, this.#bdf, offset, width, value);
    if (offset < BAR_REGS_END && offset + width > BAR_REGS_START) this.#bases = null;
    const m = this.#msix;
    if (m !== null && offset < m.cap + 4 && offset + width > m.cap + 2) {
      this.#msixEnabled = ((await pciConfigRead(this.#qtest, this.#bdf, m.cap + 2, 2)) & MSIX_ENABLE) !== 0;
      this.#schedulePoll();
    }
  }

  async readBar(bar: number, offset: number, width: AccessWidth): Promise<number> {
    const entry = this.#tableEntry(bar, offset, width);
    if (entry !== null) return this.#readShadow(entry.index, offset - entry.at, width);
    const addr = await this.#address(bar, offset);
    return width === 1 ? this.#qtest.readb(addr) : width === 2 ? this.#qtest.readw(addr) : this.#qtest.readl(addr);
  }

  async writeBar(bar: number, offset: number, width: AccessWidth, value: number): Promise<void> {
    const entry = this.#tableEntry(bar, offset, width);
    const addr = await this.#address(bar, offset);
    if (entry !== null) {
      // Address and data go to the shadow; QEMU's entry points at the vector's slot instead.
      const v = entry.index;
      this.#writeShadow(v, offset - entry.at, width, value);
      const base = addr - (offset - entry.at);
      void this.#qtest.writel(base, this.#slots + 4 * v);
      void this.#qtest.writel(base + 4, 0);
      return this.#qtest.writel(base + 8, v + 1);
    }
    const n = this.#notify;
    if (n !== null && bar === n.bar && offset >= n.offset && offset < n.offset + n.length) {
      void (width === 1 ? this.#qtest.writeb(addr, value) : width === 2 ? this.#qtest.writew(addr, value) : this.#qtest.writel(addr, value));
      return this.settle();
    }
    return width === 1 ? this.#qtest.writeb(addr, value) : width === 2 ? this.#qtest.writew(addr, value) : this.#qtest.writel(addr, value);
  }

  /**
   * Lets QEMU finish what the last access started (a qtest round trip: the queue handler and the
   * bottom half it scheduled run before QEMU reads the next request), then reports the MSI-X
   * messages it sent. A notification therefore resolves with the device's reaction visible, as
   * an in-process device's does; QEMU may still do more later (timers), which polling catches.
   */
  async settle(): Promise<void> {
    await this.#qtest.sync();
    if (this.#msixEnabled && this.#subscribers > 0) await this.pollMsix();
  }

  onInterrupt(listener: (interrupt: PciInterrupt) => void): Unsubscribe {
    const off = this.#listeners.add(listener);
    this.#subscribers++;
    this.#schedulePoll();
    let subscribed = true;
    return () => {
      if (subscribed) this.#subscribers--;
      subscribed = false;
      off();
    };
  }

  /** Reads the MSI-X slots once and reports the messages found; resolves with their count. */
  async pollMsix(): Promise<number> {
    const m = this.#msix;
    if (m === null || this.#closed || this.#qtest.failed) return 0;
    const slots = await this.#qtest.b64read(this.#slots, 4 * m.tableSize);
    const view = new DataView(slots.buffer, slots.byteOffset, slots.byteLength);
    let found = 0;
    for (let v = 0; v < m.tableSize; v++) {
      if (view.getUint32(4 * v, true) === 0) continue;
      void this.#qtest.writel(this.#slots + 4 * v, 0);
      found++;
      this.msixMessages++;
      this.#listeners.emit({
        kind: 'msix',
        vector: v,
        addressLo: this.#shadow[3 * v] as number,
        addressHi: this.#shadow[3 * v + 1] as number,
        data: this.#shadow[3 * v + 2] as number,
      });
    }
    return found;
  }

  /** Stops polling and IRQ routing. */
  close(): void {
    this.#closed = true;
    this.#unsubscribeIrq();
    if (this.#pollTimer !== null) clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  #schedulePoll(): void {
    if (this.#pollTimer !== null || this.#polling || this.#closed || !this.#msixEnabled) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = null;
      if (!this.#msixEnabled || this.#closed) return;
      this.#polling = true;
      this.pollMsix().then(
        () => {
          this.#polling = false;
          this.#schedulePoll();
        },
        () => {
          // The connection failed; the next register access reports it.
          this.#polling = false;
        },
      );
    }, this.#pollMs);
    this.#pollTimer.unref();
  }

  /** The table entry an access falls in, or null (outside the table, or no MSI-X). */
  #tableEntry(bar: number, offset: number, width: number): { index: number; at: number } | null {
    const m = this.#msix;
    if (m === null || bar !== m.tableBar || offset < m.tableOffset || offset + width > m.tableOffset + m.tableSize * MSIX_ENTRY_SIZE) return null;
    const index = Math.floor((offset - m.tableOffset) / MSIX_ENTRY_SIZE);
    const at = m.tableOffset + index * MSIX_ENTRY_SIZE;
    // Vector Control (bytes 12..15) is QEMU's; so is an access straddling into it.
    return offset + width > at + 12 ? null : { index, at };
  }

  #readShadow(v: number, within: number, width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) value += this.#shadowByte(v, within + i) * 2 ** (8 * i);
    return value;
  }

  #shadowByte(v: number, byte: number): number {
    return ((this.#shadow[3 * v + (byte >> 2)] as number) >>> (8 * (byte & 3))) & 0xff;
  }

  #writeShadow(v: number, within: number, width: number, value: number): void {
    for (let i = 0; i < width; i++) {
      const byte = within + i;
      const k = 3 * v + (byte >> 2);
      const shift = 8 * (byte & 3);
      const b = Math.floor(value / 2 ** (8 * i)) & 0xff;
      this.#shadow[k] = (((this.#shadow[k] as number) & ~(0xff << shift)) | (b << shift)) >>> 0;
    }
  }

  /** The bus address of `offset` in `bar`, from the BAR registers as they are now. */
  async #address(bar: number, offset: number): Promise<number> {
    if (this.#bases === null) this.#bases = await this.#readBases();
    const base = this.#bases[bar];
    if (base === undefined) throw new RangeError(`BAR ${bar} does not exist`);
    return base + offset;
  }

  async #readBases(): Promise<number[]> {
    const regs = await Promise.all(Array.from({ length: 6 }, (_, i) => pciConfigRead(this.#qtest, this.#bdf, BAR_REGS_START + 4 * i, 4)));
    const bases = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6; i++) {
      const lo = regs[i] as number;
      if ((lo & 1) !== 0) continue;
      const is64 = ((lo >>> 1) & 3) === 2 && i < 5;
      bases[i] = ((lo & ~0xf) >>> 0) + (is64 ? (regs[i + 1] as number) * 2 ** 32 : 0);
      if (is64) i++;
    }
    return bases;
  }
}
