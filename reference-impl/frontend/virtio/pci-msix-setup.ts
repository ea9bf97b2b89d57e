/**
 * Driver side of MSI-X for one function (PCI Local Bus 3.0 §6.8.2, after
 * Linux `msix_capability_init` / `pci_free_irq_vectors`): enable with the
 * function masked, program and unmask the entries in use, then unmask the
 * function; INTx is disabled while MSI-X is on, as `pci_intx_for_msi` does.
 *
 * @module
 */

import type { PciRegisterAccess } from '../../transport/register-access.js';
import { PCI_COMMAND, type PciMsixCapability } from './pci-capabilities.js';

/** Message Control bit 15: MSI-X enable. */
export const PCI_MSIX_FLAGS_ENABLE = 0x8000;
/** Message Control bit 14: function mask. */
export const PCI_MSIX_FLAGS_MASKALL = 0x4000;
/** Command register bit 10: INTx disable. */
export const PCI_COMMAND_INTX_DISABLE = 0x400;
/** Bytes per table entry. */
export const PCI_MSIX_ENTRY_SIZE = 16;
/** Vector Control bit 0: masked. */
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 1;
/** Message address the front end programs (the x86 LAPIC window); the message data is the vector number. */
export const MSIX_MESSAGE_ADDRESS = 0xfee0_0000;

async function setControl(access: PciRegisterAccess, msix: PciMsixCapability, set: number, clear: number): Promise<void> {
  const control = await access.readConfig(msix.cap + 2, 2);
  await access.writeConfig(msix.cap + 2, 2, (control & ~clear) | set);
}

async function setIntxDisable(access: PciRegisterAccess, disable: boolean): Promise<void> {
  const command = await access.readConfig(PCI_COMMAND, 2);
  const next = disable ? command | PCI_COMMAND_INTX_DISABLE : command & ~PCI_COMMAND_INTX_DISABLE;
  if (next !== command) await access.writeConfig(PCI_COMMAND, 2, next);
}

/**
 * Enables MSI-X with `vectors` entries in use. False, with nothing
 * changed, when the table is too small (Linux -ENOSPC from
 * `pci_alloc_irq_vectors`, `pci.msix.driver.4`).
 */
export async function enableMsix(access: PciRegisterAccess, msix: PciMsixCapability, vectors: number): Promise<boolean> {
  if (vectors > msix.tableSize) return false;
  await setControl(access, msix, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 0);
  await setIntxDisable(access, true);
  for (let v = 0; v < vectors; v++) {
    const entry = msix.tableOffset + v * PCI_MSIX_ENTRY_SIZE;
    await access.writeBar(msix.tableBar, entry, 4, MSIX_MESSAGE_ADDRESS);
    await access.writeBar(msix.tableBar, entry + 4, 4, 0);
    await access.writeBar(msix.tableBar, entry + 8, 4, v);
    await access.writeBar(msix.tableBar, entry + 12, 4, 0);
  }
  await setControl(access, msix, 0, PCI_MSIX_FLAGS_MASKALL);
  return true;
}

/** Masks the entries in use, disables MSI-X and re-enables INTx. */
export async function disableMsix(access: PciRegisterAccess, msix: PciMsixCapability, vectors: number): Promise<void> {
  for (let v = 0; v < vectors; v++) {
    await access.writeBar(msix.tableBar, msix.tableOffset + v * PCI_MSIX_ENTRY_SIZE + 12, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
  }
  await setControl(access, msix, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
  await setIntxDisable(access, false);
}
