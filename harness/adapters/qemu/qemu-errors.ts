/**
 * Why a QEMU under test stopped answering. These are thrown (not returned) on purpose: the check
 * runner turns a throw into a `crashed` verdict with `name: message`, so the message carries
 * QEMU's exit status and the tail of its stderr, which is what a bug report needs.
 *
 * @module
 */

/** How a QEMU process ended, as Node reports it. */
export interface QemuExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Describes an exit for a message: `exit code 1`, `signal SIGABRT`. */
export function describeExit(exit: QemuExit | null): string {
  if (exit === null) return 'still running';
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}

function withStderr(message: string, stderr: string): string {
  const text = stderr.trim();
  return text === '' ? `${message} (stderr empty)` : `${message}; stderr:\n${text}`;
}

/** QEMU went away (socket closed, process exited) while requests were pending or after. */
export class QemuCrashedError extends Error {
  override readonly name = 'QemuCrashed';
  constructor(
    readonly exit: QemuExit | null,
    readonly stderr: string,
    readonly during: string,
  ) {
    super(withStderr(`QEMU ${describeExit(exit)} during ${during}`, stderr));
  }
}

/** A request got no answer within the time limit; QEMU was killed. */
export class QemuTimeoutError extends Error {
  override readonly name = 'QemuTimeout';
  constructor(
    readonly request: string,
    readonly afterMs: number,
    readonly stderr: string,
  ) {
    super(withStderr(`QEMU did not answer '${request}' within ${afterMs} ms and was killed`, stderr));
  }
}

/** QEMU could not be started: missing binary, refused options, or no connection in time. */
export class QemuStartError extends Error {
  override readonly name = 'QemuStartError';
  constructor(
    readonly reason: 'spawn-failed' | 'exited' | 'no-connection',
    readonly exit: QemuExit | null,
    readonly stderr: string,
    detail: string,
  ) {
    super(withStderr(`QEMU did not start (${reason}: ${detail})`, stderr));
  }
}

/** QEMU answered a qtest request with FAIL or ERR: a harness bug (a malformed request). */
export class QtestProtocolError extends Error {
  override readonly name = 'QtestProtocolError';
  constructor(
    readonly request: string,
    readonly reply: string,
  ) {
    super(`qtest '${request}' answered '${reply}'`);
  }
}
