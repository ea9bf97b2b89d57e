import { CatalogError } from '../../specs/catalog/index.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { runList } from './list.js';
import { runRun } from './run.js';
import { runExplain } from './explain.js';
import { runMutants } from './mutants.js';
import { runMerge } from './merge.js';

/** Top-level `--help` text. */
export const MAIN_HELP = `Usage: virtio-net-conformance <command> [options]

Judges virtio-net devices and drivers, clause by clause, against the virtio specification.

Commands:
  run         run the conformance checks (the default command)
  list        print the clauses in scope (filters: --area, --level, --role) or, with --checks, the checks
  explain     explain a clause or a check: text, level, role, features, checks, mutants
  mutants     run the kill matrix: every mutant against the checks that must kill it
  merge       merge shard reports (run --shard i/n --report DIR) into one report

Run 'virtio-net-conformance <command> --help' for a command's options.

Exit codes: 0 conformant, 1 conformance failures, 2 inconclusive, 3 usage or harness error.`;

/** The subcommands, by name. */
const COMMANDS: Readonly<Record<string, (args: readonly string[], out: (text: string) => void, err: (text: string) => void) => number | Promise<number>>> = {
  run: runRun,
  list: runList,
  explain: runExplain,
  mutants: runMutants,
  merge: runMerge,
};

/**
 * Runs the CLI with the given arguments and returns its exit code. Never throws: a usage error
 * or an unreadable catalog is printed to `err` as one line (with the stack under --debug).
 */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
  err: (text: string) => void = (text) => process.stderr.write(`${text}\n`),
): Promise<number> {
  const debug = argv.includes('--debug');
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h') {
      out(MAIN_HELP);
      return ExitCode.Conformant;
    }
    // `run` is the default command: no command, or options first, means `run`.
    if (command === undefined || command.startsWith('-')) return await runRun(argv, out, err);
    const run = COMMANDS[command];
    if (run === undefined) {
      throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    }
    return await run(rest, out, err);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CatalogError) {
      err(`virtio-net-conformance: ${error.message}`);
      if (debug && error.stack) err(error.stack);
      return ExitCode.Usage;
    }
    err(`virtio-net-conformance: internal error: ${(error as Error).message ?? String(error)}`);
    if (debug && error instanceof Error && error.stack) err(error.stack);
    else err('(run again with --debug for the stack trace)');
    return ExitCode.Usage;
  }
}
