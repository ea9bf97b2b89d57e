import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes.js';

/** Options every subcommand takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/**
 * Parses a subcommand's arguments strictly: an unknown flag, a missing value or a stray
 * positional argument becomes a {@link UsageError} that names the flag and the subcommand.
 */
export function parseOptions<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${command}: ${message}. See 'virtio-net-conformance ${command} --help'.`);
  }
}

/**
 * Splits a comma-separated multi-value flag (`--area d,e --area f`) and checks each value
 * against the allowed set, case-insensitively; the message lists what is allowed.
 */
export function parseChoices<T extends string>(
  flag: string,
  raw: readonly string[] | undefined,
  allowed: readonly T[],
  normalise: (value: string) => string = (value) => value,
  show: (value: T) => string = (value) => value,
): T[] | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  const out: T[] = [];
  for (const value of raw.flatMap((item) => item.split(','))) {
    const wanted = normalise(value.trim());
    const hit = allowed.find((choice) => normalise(choice) === wanted);
    if (hit === undefined) {
      throw new UsageError(`--${flag}: unknown value '${value}' (allowed: ${allowed.map(show).join(', ')})`);
    }
    if (!out.includes(hit)) out.push(hit);
  }
  return out;
}
