/**
 * Typed ring errors: what the device side reports when the driver breaks the
 * ring rules, and what the driver side reports when the device does.
 *
 * Neither side ever throws for bad input from the other side; it returns one
 * of these. The reference device turns a {@link DeviceRingError} into
 * DEVICE_NEEDS_RESET (`status.device.2`); the driver side marks the queue
 * broken, as Linux `BAD_RING` does (linux-driver-facts §4.1).
 *
 * @module
 */

/** Ring format an error was found in. */
export type RingFormat = 'split' | 'packed';

/**
 * Why the device side refused the driver's ring.
 *
 * - `queue-size-invalid`: size 0, above 32768, or not a power of 2 on a split ring.
 * - `ring-address-invalid`: a ring area misaligned or outside guest memory.
 * - `avail-idx-jump`: `(u16)(avail.idx − last_avail_idx) > size` (CVE-2016-5403, rust-vmm #196).
 * - `in-flight-exceeds-size`: more chains popped and not yet pushed than the queue size.
 * - `head-out-of-range`: an avail ring entry ≥ size.
 * - `head-in-flight`: an avail ring entry names a head the device still holds (split).
 * - `buffer-id-in-flight`: a packed buffer id the device still holds.
 * - `chain-loop`: a `next` revisits a descriptor of the same chain or table.
 * - `chain-too-long`: more descriptors than the queue size (indirect entries included).
 * - `next-out-of-range`: `next` ≥ size (or ≥ the indirect table length).
 * - `zero-length-descriptor`: a buffer descriptor with len 0 (CVE-2016-6490).
 * - `address-out-of-range`: a buffer or table outside guest memory (addr_hi ≠ 0 included).
 * - `writable-before-readable`: a readable descriptor after a writable one.
 * - `indirect-not-negotiated`: INDIRECT without VIRTIO_F_INDIRECT_DESC.
 * - `indirect-with-next`: INDIRECT and NEXT on one descriptor.
 * - `nested-indirect`: INDIRECT inside a split indirect table.
 * - `indirect-len-not-multiple-of-16`, `indirect-table-empty`: bad table length.
 * - `indirect-in-chain`: a packed INDIRECT descriptor inside a NEXT list.
 * - `packed-desc-not-available`: a packed list continues into a slot whose AVAIL/USED bits do not mark it available.
 */
export type DeviceRingErrorCode =
  | 'queue-size-invalid'
  | 'ring-address-invalid'
  | 'avail-idx-jump'
  | 'in-flight-exceeds-size'
  | 'head-out-of-range'
  | 'head-in-flight'
  | 'buffer-id-in-flight'
  | 'chain-loop'
  | 'chain-too-long'
  | 'next-out-of-range'
  | 'zero-length-descriptor'
  | 'address-out-of-range'
  | 'writable-before-readable'
  | 'indirect-not-negotiated'
  | 'indirect-with-next'
  | 'nested-indirect'
  | 'indirect-len-not-multiple-of-16'
  | 'indirect-table-empty'
  | 'indirect-in-chain'
  | 'packed-desc-not-available';

/** A driver ring-rule violation found by the device side. */
export interface DeviceRingError {
  readonly kind: 'ring-error';
  readonly side: 'device';
  readonly format: RingFormat;
  readonly code: DeviceRingErrorCode;
  /** Human-readable description. */
  readonly message: string;
  /** Split: head index (or avail position for index errors); packed: ring slot of the list; −1 when none. */
  readonly head: number;
  /** Offending descriptor: table index, ring slot, or indirect-table entry; −1 when none. */
  readonly desc: number;
  /** `desc` is an entry of an indirect table. */
  readonly inIndirect: boolean;
  /** Spec clauses the driver broke (IDs from the clause catalog); empty when the rule is the device's own limit. */
  readonly clauses: readonly string[];
}

const DEVICE_TEXT: Readonly<Record<DeviceRingErrorCode, string>> = {
  'queue-size-invalid': 'queue size is not valid for this ring format',
  'ring-address-invalid': 'ring area misaligned or outside guest memory',
  'avail-idx-jump': 'available index moved ahead by more than the queue size',
  'in-flight-exceeds-size': 'more buffers in flight than the queue size',
  'head-out-of-range': 'available ring entry is not a descriptor index',
  'head-in-flight': 'available ring names a head that is still in flight',
  'buffer-id-in-flight': 'buffer id is still in flight',
  'chain-loop': 'descriptor chain loops',
  'chain-too-long': 'descriptor chain longer than the queue size',
  'next-out-of-range': 'next descriptor index out of range',
  'zero-length-descriptor': 'zero sized buffers are not allowed',
  'address-out-of-range': 'descriptor address outside guest memory',
  'writable-before-readable': 'device-readable descriptor after a device-writable one',
  'indirect-not-negotiated': 'INDIRECT descriptor without VIRTIO_F_INDIRECT_DESC',
  'indirect-with-next': 'INDIRECT and NEXT set on one descriptor',
  'nested-indirect': 'INDIRECT descriptor inside an indirect table',
  'indirect-len-not-multiple-of-16': 'indirect table length is not a multiple of 16',
  'indirect-table-empty': 'indirect table of length 0',
  'indirect-in-chain': 'packed INDIRECT descriptor inside a descriptor list',
  'packed-desc-not-available': 'packed descriptor list runs into a descriptor that is not available',
};

const NO_CLAUSES: readonly string[] = Object.freeze([]);

const SPLIT_CLAUSES: Partial<Record<DeviceRingErrorCode, readonly string[]>> = {
  'chain-loop': ['split.desc.driver.1', 'split.indirect.driver.3'],
  'chain-too-long': ['split.indirect.driver.3'],
  'writable-before-readable': ['framing.driver.1'],
  'indirect-not-negotiated': ['split.indirect.driver.1'],
  'indirect-with-next': ['split.indirect.driver.4'],
  'nested-indirect': ['split.indirect.driver.2'],
  'avail-idx-jump': ['split.avail.driver.1'],
};

const PACKED_CLAUSES: Partial<Record<DeviceRingErrorCode, readonly string[]>> = {
  'chain-too-long': ['packed.sg.driver.2'],
  'writable-before-readable': ['packed.sg.driver.3'],
  'indirect-not-negotiated': ['packed.indirect.driver.1'],
  'indirect-with-next': ['packed.indirect.driver.4'],
  'indirect-in-chain': ['packed.indirect.driver.4'],
  'packed-desc-not-available': ['packed.chain.driver.2'],
};

/** Builds a {@link DeviceRingError}. Called on the error path only, so it may allocate. */
export function deviceRingError(
  format: RingFormat,
  code: DeviceRingErrorCode,
  head = -1,
  desc = -1,
  inIndirect = false,
  detail = '',
): DeviceRingError {
  const where = head >= 0 ? ` (head ${head}${desc >= 0 ? `, ${inIndirect ? 'indirect entry' : 'desc'} ${desc}` : ''})` : '';
  const extra = detail === '' ? '' : `: ${detail}`;
  return Object.freeze({
    kind: 'ring-error',
    side: 'device',
    format,
    code,
    message: `${DEVICE_TEXT[code]}${where}${extra}`,
    head,
    desc,
    inIndirect,
    clauses: (format === 'split' ? SPLIT_CLAUSES : PACKED_CLAUSES)[code] ?? NO_CLAUSES,
  });
}

/**
 * Why the driver side refused the device's used ring. Any of these marks the
 * queue broken.
 *
 * - `used-id-out-of-range`: id ≥ size (Linux: "id %u out of range").
 * - `used-id-not-a-head`: id is not the head (split) or id (packed) of an
 *   outstanding buffer (Linux: "id %u is not a head!").
 * - `used-id-double-completion`: the id was a head whose buffer was already
 *   completed and not posted again. Linux reports this as "is not a head!";
 *   it is told apart here for diagnosis.
 * - `used-len-exceeds-writable`: len is larger than the buffer's writable
 *   bytes. Linux 6.1 does not check this at ring level (the check was
 *   reverted, bug R8); this engine does, because it is a device bug
 *   (`split.used.device.2`, `packed.used.device.1`).
 * - `used-batch-out-of-range`: with IN_ORDER on a split ring, a used entry
 *   claims a batch longer than `used.idx` advanced.
 */
export type DriverRingErrorCode =
  | 'used-id-out-of-range'
  | 'used-id-not-a-head'
  | 'used-id-double-completion'
  | 'used-len-exceeds-writable'
  | 'used-batch-out-of-range';

/** A device ring-rule violation found by the driver side. */
export interface DriverRingError {
  readonly kind: 'ring-error';
  readonly side: 'driver';
  readonly format: RingFormat;
  readonly code: DriverRingErrorCode;
  /** Human-readable description (Linux wording where Linux has one). */
  readonly message: string;
  /** The used id the device wrote. */
  readonly id: number;
  /** The used len the device wrote. */
  readonly len: number;
  /** Spec clauses the device broke; empty when the rule is implied rather than stated. */
  readonly clauses: readonly string[];
}

const DRIVER_CLAUSES: Readonly<Record<RingFormat, Partial<Record<DriverRingErrorCode, readonly string[]>>>> = {
  split: { 'used-len-exceeds-writable': ['split.used.device.2'] },
  packed: { 'used-len-exceeds-writable': ['packed.used.device.1'], 'used-id-not-a-head': ['packed.chain.driver.1'] },
};

/** Builds a {@link DriverRingError}. Called on the error path only. */
export function driverRingError(format: RingFormat, code: DriverRingErrorCode, id: number, len: number): DriverRingError {
  let message: string;
  switch (code) {
    case 'used-id-out-of-range':
      message = `id ${id} out of range`;
      break;
    case 'used-id-not-a-head':
      message = `id ${id} is not a head!`;
      break;
    case 'used-id-double-completion':
      message = `id ${id} is not a head! (already completed)`;
      break;
    case 'used-len-exceeds-writable':
      message = `id ${id}: used len ${len} exceeds the buffer's writable bytes`;
      break;
    case 'used-batch-out-of-range':
      message = `id ${id}: in-order batch passes used idx`;
      break;
  }
  return Object.freeze({
    kind: 'ring-error',
    side: 'driver',
    format,
    code,
    message,
    id,
    len,
    clauses: DRIVER_CLAUSES[format][code] ?? NO_CLAUSES,
  });
}
