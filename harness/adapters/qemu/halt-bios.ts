/**
 * The firmware QEMU runs instead of SeaBIOS: 64 KiB of `hlt` whose reset vector (F000:FFF0) does
 * `cli; hlt; jmp $-1`. The vCPU halts at once with interrupts off and never touches a device, so
 * the harness is the only driver (SeaBIOS would assign BARs and run iPXE on the NIC), while the VM
 * counts as running, which virtio-net needs to move packets (qemu-qtest.md §3.1, §7.1–7.2).
 *
 * @module
 */

/** Size of the image: QEMU wants a multiple of 64 KiB. */
export const HALT_BIOS_SIZE = 0x1_0000;

/** Offset of the reset vector in the image (it maps to F000:FFF0). */
export const HALT_BIOS_RESET_VECTOR = 0xfff0;

/** `cli; hlt; jmp $-1` (FA F4 EB FD). */
const RESET_CODE = [0xfa, 0xf4, 0xeb, 0xfd] as const;

/** The halting firmware image. */
export function haltBios(): Uint8Array {
  const image = new Uint8Array(HALT_BIOS_SIZE).fill(0xf4);
  image.set(RESET_CODE, HALT_BIOS_RESET_VECTOR);
  return image;
}
