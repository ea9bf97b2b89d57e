/**
 * Byte layouts of spec structures.
 *
 * A layout is plain data: field offsets and sizes in bytes, plus the total
 * size of the structure. Offsets are relative to the start of the structure;
 * endianness is a property of the structure (virtio 1.x structures are
 * little-endian), not of the layout.
 *
 * @module
 */

/** Offset and size, in bytes, of one field of a spec structure. */
export interface FieldLayout {
  /** Byte offset of the field from the start of the structure. */
  readonly offset: number;
  /** Width of the field in bytes (1, 2, 4, 8 for integers; any length for byte arrays). */
  readonly size: 1 | 2 | 4 | 8 | number;
}

/** The layout of a spec structure: its named fields and its total size in bytes. */
export interface StructLayout<F extends string = string> {
  /** Every field of the structure, keyed by its spec name. */
  readonly fields: { readonly [K in F]: FieldLayout };
  /** Total size of the structure in bytes (sizeof, including trailing padding). */
  readonly size: number;
}

/** Field names of a layout produced by {@link defineStruct}. */
export type FieldsOf<S> = S extends StructLayout<infer F> ? F : never;

/**
 * Result of checking a layout description for consistency: fields must not
 * overlap and must fit within the declared size.
 */
export type LayoutCheck =
  | { readonly kind: 'layout-ok' }
  | { readonly kind: 'layout-error'; readonly message: string };

/**
 * Builds a {@link StructLayout} from field sizes listed in declaration order
 * (offsets computed cumulatively, as for a packed C struct) or from explicit
 * `{ offset, size }` entries.
 *
 * When `size` is omitted the total is the end of the last field. The result
 * is frozen so the constants cannot be edited by callers.
 *
 * @example
 * const hdr = defineStruct({ flags: 1, gso_type: 1, hdr_len: 2 });
 * hdr.fields.hdr_len; // { offset: 2, size: 2 }
 */
export function defineStruct<const F extends string>(
  fields: { readonly [K in F]: number | FieldLayout },
  size?: number,
): StructLayout<F> {
  const out: Record<string, FieldLayout> = {};
  let cursor = 0;
  let end = 0;
  for (const name of Object.keys(fields) as F[]) {
    const spec = fields[name];
    const field: FieldLayout =
      typeof spec === 'number'
        ? { offset: cursor, size: spec }
        : { offset: spec.offset, size: spec.size };
    out[name] = Object.freeze(field);
    cursor = field.offset + field.size;
    end = Math.max(end, cursor);
  }
  return Object.freeze({
    fields: Object.freeze(out) as { readonly [K in F]: FieldLayout },
    size: size ?? end,
  });
}

/** Byte offset just past the end of `field` in `layout`. */
export function fieldEnd<F extends string>(layout: StructLayout<F>, field: F): number {
  const f = layout.fields[field];
  return f.offset + f.size;
}

/**
 * Checks that no two fields overlap and that every field lies inside
 * `layout.size`. Used by tests to catch typos in hand-written offsets.
 */
export function checkLayout(layout: StructLayout): LayoutCheck {
  const entries = Object.entries(layout.fields).sort((a, b) => a[1].offset - b[1].offset);
  let prevEnd = 0;
  let prevName = '';
  for (const [name, f] of entries) {
    if (f.offset < prevEnd) {
      return { kind: 'layout-error', message: `field ${name} at ${f.offset} overlaps ${prevName} ending at ${prevEnd}` };
    }
    if (f.offset + f.size > layout.size) {
      return { kind: 'layout-error', message: `field ${name} ends at ${f.offset + f.size}, past size ${layout.size}` };
    }
    prevEnd = f.offset + f.size;
    prevName = name;
  }
  return { kind: 'layout-ok' };
}
