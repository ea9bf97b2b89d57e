/**
 * A bounded trace of what a check did to the implementation (register accesses, ring operations,
 * frames), kept so a failure report can show the last steps before it. Bounded so a long run
 * cannot exhaust memory: the oldest entries are dropped and counted.
 *
 * @module
 */

/** The trace of one check run. */
export class Trace {
  readonly #entries: string[] = [];
  #dropped = 0;

  /** @param limit - entries kept (the newest). @default 400 */
  constructor(readonly limit = 400) {}

  /** Records one step. */
  record(entry: string): void {
    if (this.#entries.length === this.limit) {
      this.#entries.shift();
      this.#dropped++;
    }
    this.#entries.push(entry);
  }

  /** The kept entries, oldest first, preceded by a line saying how many were dropped. */
  lines(): readonly string[] {
    return this.#dropped === 0 ? [...this.#entries] : [`(${this.#dropped} earlier entries dropped)`, ...this.#entries];
  }
}
