/**
 * Access to `struct virtio_pci_common_cfg` through the register seam: each
 * field at its own width, 64-bit fields as two 32-bit halves, low half
 * first (`pci.layout.driver.1`, Linux `vp_iowrite64_twopart`).
 *
 * @module
 */

import { type CommonCfgField, virtio_pci_common_cfg } from '../../../specs/transport/pci.js';
import type { AccessWidth, PciRegisterAccess } from '../../transport/register-access.js';
import type { PciRegion } from './pci-capabilities.js';

/** The common configuration structure of one function. */
export class PciCommonCfgAccess {
  constructor(
    private readonly access: PciRegisterAccess,
    /** Where the structure is. */
    readonly region: PciRegion,
  ) {}

  private at(field: CommonCfgField, half: number): { offset: number; width: AccessWidth } {
    const f = virtio_pci_common_cfg.fields[field];
    return { offset: this.region.offset + f.offset + 4 * half, width: (f.size === 8 ? 4 : f.size) as AccessWidth };
  }

  /** Reads `field` (or one half of a 64-bit field). */
  async read(field: CommonCfgField, half = 0): Promise<number> {
    const a = this.at(field, half);
    return this.access.readBar(this.region.bar, a.offset, a.width);
  }

  /** Writes `field` (or one half of a 64-bit field). */
  async write(field: CommonCfgField, value: number, half = 0): Promise<void> {
    const a = this.at(field, half);
    await this.access.writeBar(this.region.bar, a.offset, a.width, value);
  }

  /** Writes a 64-bit field as two halves, low first. */
  async write64(field: CommonCfgField, addr: number): Promise<void> {
    const lo = addr >>> 0;
    await this.write(field, lo, 0);
    await this.write(field, (addr - lo) / 0x1_0000_0000, 1);
  }
}
