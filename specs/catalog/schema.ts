import { z } from 'zod';

/**
 * The catalog's areas. a..g are the brief (status, features, config, split ring, packed ring,
 * notifications, the net device); h is the rest of the PCI and MMIO transports.
 */
export const CLAUSE_AREAS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] as const;
/** A catalog area letter. */
export type ClauseArea = (typeof CLAUSE_AREAS)[number];

/** What each area covers, in one line. */
export const CLAUSE_AREA_TITLES: { readonly [A in ClauseArea]: string } = {
  a: 'device status, initialization, reset',
  b: 'feature bits and negotiation',
  c: 'device configuration space',
  d: 'split virtqueues',
  e: 'packed virtqueues',
  f: 'notifications',
  g: 'network device',
  h: 'PCI and MMIO transports (beyond the brief)',
};

/** RFC 2119 levels as the catalog normalises them (RECOMMENDED is SHOULD, OPTIONAL is MAY). */
export const CLAUSE_LEVELS = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY'] as const;
/** A clause level. */
export type ClauseLevel = (typeof CLAUSE_LEVELS)[number];

/** The party a clause binds. */
export const CLAUSE_ROLES = ['device', 'driver'] as const;
/** A clause role. */
export type ClauseRole = (typeof CLAUSE_ROLES)[number];

/** Spec versions a clause can first appear in, oldest first. */
export const SPEC_VERSIONS = ['1.2', '1.3', '1.4'] as const;
/** A spec version. */
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

const versionSchema = z.enum(SPEC_VERSIONS);

/**
 * One normative clause. IDs are stable: they are the catalog's own IDs, never renumbered, so a
 * report, an expectations file or a check can name a clause across releases of this tool.
 */
export const clauseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.\-_]*$/, 'ids are lower-case dotted words'),
  section: z.string().regex(/^\d+(\.\d+)*$/, 'a dotted section number'),
  title: z.string().min(1),
  label: z.string().min(1),
  role: z.enum(CLAUSE_ROLES),
  level: z.enum(CLAUSE_LEVELS),
  text: z.string().min(1),
  topic: z.string().min(1),
  area: z.enum(CLAUSE_AREAS),
  block: z.enum(['devicenormative', 'drivernormative', 'informal']),
  normative: z.enum(['explicit', 'explicit-informal', 'implied', 'derived']),
  inConformanceClause: z.boolean(),
  /** Feature bits (spec names) that condition the clause; empty when unconditional. */
  features: z.array(z.string().regex(/^VIRTIO_[A-Z0-9_]+$/)).readonly(),
  legacy: z.boolean(),
  since: versionSchema,
  sinceNote: z.string().optional(),
  sectionsByVersion: z.partialRecord(versionSchema, z.string()),
  locator: z.string(),
  note: z.string().optional(),
  /** The keyword as the spec spells it, where it differs from `level` (e.g. RECOMMENDED). */
  keywordInSpec: z.string().optional(),
});

/** A validated clause. */
export type Clause = z.infer<typeof clauseSchema>;

/** The catalog file: provenance and the clauses, IDs unique. */
export const catalogSchema = z
  .strictObject({
    spec: z.strictObject({
      repository: z.string(),
      commit: z.string().regex(/^[0-9a-f]{40}$/),
      tag: z.string(),
    }),
    clauses: z.array(clauseSchema).min(1),
  })
  .superRefine((catalog, ctx) => {
    const seen = new Map<string, number>();
    catalog.clauses.forEach((clause, index) => {
      const first = seen.get(clause.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['clauses', index, 'id'],
          message: `duplicate clause id '${clause.id}' (first at clauses[${first}])`,
        });
      } else {
        seen.set(clause.id, index);
      }
    });
  });

/** A validated catalog file. */
export type CatalogFile = z.infer<typeof catalogSchema>;
