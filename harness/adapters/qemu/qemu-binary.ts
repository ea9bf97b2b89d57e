/**
 * Whether QEMU can be run here. The CLI turns `missing` into exit 3 with the reason, and the test
 * suite into skipped tests with the same reason, never into passes.
 *
 * @module
 */

import { findOnPath, QEMU_BINARY } from './qemu-process.js';

/** What to tell a user without QEMU. */
export const QEMU_MISSING_REASON = 'qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)';

/** The outcome of {@link findQemu}. */
export type QemuAvailability = { readonly kind: 'available'; readonly path: string } | { readonly kind: 'missing'; readonly reason: string };

/** Looks `binary` up on PATH (or checks it, when it is a path). */
export function findQemu(binary: string = QEMU_BINARY): QemuAvailability {
  const path = findOnPath(binary);
  if (path !== null) return { kind: 'available', path };
  return { kind: 'missing', reason: binary === QEMU_BINARY ? QEMU_MISSING_REASON : `${binary} not found or not executable` };
}
