/**
 * The CLI's exit codes. A CI gate reads only these, so they never change meaning:
 * 0 conformant, 1 conformance failures, 2 inconclusive, 3 usage or harness error.
 */
export const ExitCode = {
  /** Every selected check passed (or was not applicable). */
  Conformant: 0,
  /** At least one MUST failed (or a SHOULD under --strict). */
  Failures: 1,
  /** Nothing failed, but something crashed, timed out, or nothing ran. */
  Inconclusive: 2,
  /** Bad flags, bad input files, a module that does not load: the run never judged anything. */
  Usage: 3,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A problem with what the user asked for (a flag, a value, a file). The CLI prints its message
 * without a stack trace (unless --debug) and exits with {@link ExitCode.Usage}.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
