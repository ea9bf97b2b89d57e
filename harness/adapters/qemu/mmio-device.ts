/**
 * One virtio-mmio transport of a QEMU microvm, as the {@link MmioRegisterAccess} the harness's
 * transport drivers use. microvm has 24 transports at 0xFEB00000 + n·0x200 and plugs the first
 * device into the last one (qemu-qtest.md §1.3); {@link findMmioDevice} scans for the magic value
 * and a non-zero DeviceID. The interrupt line is an intercepted IOAPIC input; each change is
 * reported with InterruptStatus read right after it (reading it has no side effect).
 *
 * @module
 */

import { Listeners, type AccessWidth, type MmioInterrupt, type MmioRegisterAccess, type Unsubscribe } from '../../../reference-impl/transport/register-access.js';
import type { QtestClient } from './qtest-client.js';

/** Base of microvm's first virtio-mmio transport. */
export const MICROVM_MMIO_BASE = 0xfeb0_0000;
/** Distance between transports. */
export const MICROVM_MMIO_STRIDE = 0x200;
/** Number of transports. */
export const MICROVM_MMIO_COUNT = 24;
/** The register window's size (control registers and device configuration). */
export const MMIO_WINDOW_SIZE = 0x200;

const MAGIC = 0x7472_6976;
const REG_DEVICE_ID = 0x008;
const REG_QUEUE_NOTIFY = 0x050;
const REG_INTERRUPT_STATUS = 0x060;

/** A transport found by {@link findMmioDevice}. */
export interface MmioTransportFound {
  readonly index: number;
  readonly base: number;
  readonly deviceId: number;
}

/** Transports with a device behind them, scanned in one pipelined batch. */
export async function findMmioDevices(qtest: QtestClient): Promise<readonly MmioTransportFound[]> {
  const bases = Array.from({ length: MICROVM_MMIO_COUNT }, (_, i) => MICROVM_MMIO_BASE + i * MICROVM_MMIO_STRIDE);
  const [magic, ids] = await Promise.all([Promise.all(bases.map((b) => qtest.readl(b))), Promise.all(bases.map((b) => qtest.readl(b + REG_DEVICE_ID)))]);
  return bases.flatMap((base, index) => (magic[index] === MAGIC && ids[index] !== 0 ? [{ index, base, deviceId: ids[index] as number }] : []));
}

/** Options of {@link QemuMmioDevice}. */
export interface QemuMmioDeviceOptions {
  /** IOAPIC input lines that are this transport's interrupt; every line when absent. */
  readonly lines?: readonly number[];
}

/** The register window of one transport. */
export class QemuMmioDevice implements MmioRegisterAccess {
  readonly #qtest: QtestClient;
  readonly #listeners = new Listeners<MmioInterrupt>();
  readonly #unsubscribeIrq: () => void;
  /** Settles when every line change seen so far has been reported. */
  #reporting: Promise<void> = Promise.resolve();

  constructor(
    qtest: QtestClient,
    /** Guest-physical base of the register window. */
    readonly base: number,
    options: QemuMmioDeviceOptions = {},
  ) {
    this.#qtest = qtest;
    const lines = options.lines === undefined ? null : new Set(options.lines);
    this.#unsubscribeIrq = qtest.onIrq((line, raised) => {
      if (lines !== null && !lines.has(line)) return;
      const reported = qtest.readl(base + REG_INTERRUPT_STATUS).then(
        (interruptStatus) => this.#listeners.emit({ kind: 'line', asserted: raised, interruptStatus }),
        () => {},
      );
      this.#reporting = this.#reporting.then(() => reported);
    });
  }

  read(offset: number, width: AccessWidth): Promise<number> {
    const addr = this.#addr(offset, width);
    return width === 1 ? this.#qtest.readb(addr) : width === 2 ? this.#qtest.readw(addr) : this.#qtest.readl(addr);
  }

  write(offset: number, width: AccessWidth, value: number): Promise<void> {
    const addr = this.#addr(offset, width);
    const written = width === 1 ? this.#qtest.writeb(addr, value) : width === 2 ? this.#qtest.writew(addr, value) : this.#qtest.writel(addr, value);
    return offset === REG_QUEUE_NOTIFY ? this.settle() : written;
  }

  /**
   * Lets QEMU finish what the last access started (a qtest round trip), then waits until the
   * interrupt line changes that arrived before its answer have been reported. A QueueNotify write
   * resolves only after this, as an in-process device's does.
   */
  async settle(): Promise<void> {
    await this.#qtest.sync();
    await this.#reporting;
  }

  onInterrupt(listener: (interrupt: MmioInterrupt) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** Stops IRQ routing. */
  close(): void {
    this.#unsubscribeIrq();
  }

  #addr(offset: number, width: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > MMIO_WINDOW_SIZE) {
      throw new RangeError(`virtio-mmio access of ${width} bytes at ${offset} outside the ${MMIO_WINDOW_SIZE}-byte window`);
    }
    return this.base + offset;
  }
}
