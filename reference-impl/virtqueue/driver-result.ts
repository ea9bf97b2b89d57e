/**
 * Results of the driver-side operations. The hot-path results are shared,
 * preallocated objects so that adding and collecting buffers never allocate.
 *
 * @module
 */

/** The buffer was made available (and, on a split ring, published in `avail->idx`). */
export interface AddAdded {
  readonly kind: 'added';
}

/**
 * Not enough free descriptors (Linux -ENOSPC). `notify` is true when the
 * caller should still kick: Linux's split ring notifies on -ENOSPC when the
 * buffer had device-readable parts (historical behaviour); the packed ring
 * never does.
 */
export interface AddNoSpace {
  readonly kind: 'no-space';
  readonly notify: boolean;
}

/** The queue is broken (Linux -EIO): a device error was seen earlier. */
export interface AddBroken {
  readonly kind: 'broken';
}

/** Result of an add. */
export type AddResult = AddAdded | AddNoSpace | AddBroken;

/** Shared result: added. */
export const ADD_ADDED: AddAdded = Object.freeze({ kind: 'added' });
/** Shared result: no space, no notification. */
export const ADD_NO_SPACE: AddNoSpace = Object.freeze({ kind: 'no-space', notify: false });
/** Shared result: no space, caller should still notify (split ring with readable parts). */
export const ADD_NO_SPACE_NOTIFY: AddNoSpace = Object.freeze({ kind: 'no-space', notify: true });
/** Shared result: queue broken. */
export const ADD_BROKEN: AddBroken = Object.freeze({ kind: 'broken' });

/**
 * A completed buffer: the token given at add time and the used length the
 * device reported. The object is owned by the queue and overwritten by its
 * next `getUsed` call; copy the fields out before calling again.
 */
export interface UsedBuffer<T> {
  readonly kind: 'used';
  readonly token: T;
  readonly len: number;
}

/** The queue's reusable {@link UsedBuffer}. */
export class UsedSlot<T> implements UsedBuffer<T> {
  readonly kind = 'used' as const;
  token: T = undefined as T;
  len = 0;
}
