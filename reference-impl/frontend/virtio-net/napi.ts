/**
 * A single-threaded model of NAPI and the softirq that runs it.
 *
 * Interrupt callbacks (`skb_recv_done`, `skb_xmit_done`) only schedule a
 * poll, as in Linux; polls run later, one at a time, from a runner started
 * on a microtask. A poll that uses its whole budget stays scheduled and runs
 * again. `await softirq.drain()` returns once nothing is scheduled, which is
 * how tests wait for "the interrupt has been handled".
 *
 * @module
 */

/** A NAPI context (`struct napi_struct`). */
export class Napi {
  /** Scheduled and not yet completed (`NAPIF_STATE_SCHED`). */
  scheduled = false;
  /** Disabled (`napi_disable`): scheduling is refused. */
  disabled = true;
  private running: Promise<unknown> | null = null;

  /**
   * @param name - for diagnostics.
   * @param weight - budget per poll; 0 means "no NAPI" (TX without napi_tx).
   * @param pollFn - the poll function; returns the work done.
   */
  constructor(
    readonly name: string,
    public weight: number,
    private readonly softirq: Softirq,
    private readonly pollFn: (napi: Napi, budget: number) => Promise<number>,
  ) {}

  /** `napi_schedule_prep` + `__napi_schedule`: false when already scheduled or disabled. */
  schedule(): boolean {
    if (this.disabled || this.scheduled || this.weight === 0) return false;
    this.scheduled = true;
    this.softirq.raise(this);
    return true;
  }

  /**
   * `napi_complete_done`: leaves the scheduled state. Returns false when the
   * context was disabled meanwhile (the caller then keeps callbacks off).
   */
  complete(): boolean {
    this.scheduled = false;
    return !this.disabled;
  }

  /** `napi_enable`. */
  enable(): void {
    this.disabled = false;
    this.scheduled = false;
  }

  /** `napi_disable`: refuses new schedules and waits for a running poll. */
  async disable(): Promise<void> {
    this.disabled = true;
    if (this.running !== null) await this.running;
    this.scheduled = false;
  }

  /** Runs one poll with the full budget. @internal used by {@link Softirq}. */
  async run(): Promise<boolean> {
    if (!this.scheduled || this.disabled) {
      this.scheduled = false;
      return false;
    }
    const p = this.pollFn(this, this.weight);
    this.running = p;
    try {
      const done = await p;
      // A poll that used its whole budget has not completed: poll again.
      if (done >= this.weight && this.scheduled && !this.disabled) return true;
      return false;
    } finally {
      this.running = null;
    }
  }
}

/** The softirq runner that executes scheduled NAPI polls and deferred work. */
export class Softirq {
  private readonly queue: Napi[] = [];
  private readonly work: (() => Promise<void>)[] = [];
  private runner: Promise<void> | null = null;
  /** Polls run so far. */
  polls = 0;
  /** Deferred work items run so far. */
  works = 0;
  /** Upper bound on polls per drain, so a device that never stops producing cannot hang a test. */
  constructor(readonly maxPollsPerRun = 100_000) {}

  /** Queues `napi` for a poll. @internal called by {@link Napi.schedule}. */
  raise(napi: Napi): void {
    this.queue.push(napi);
    this.start();
  }

  /** Queues deferred work (Linux `schedule_work` / `schedule_delayed_work`), run after pending polls. */
  defer(fn: () => Promise<void>): void {
    this.work.push(fn);
    this.start();
  }

  private start(): void {
    if (this.runner !== null) return;
    this.runner = (async () => {
      await Promise.resolve();
      let budget = this.maxPollsPerRun;
      while ((this.queue.length > 0 || this.work.length > 0) && budget-- > 0) {
        const napi = this.queue.shift();
        if (napi !== undefined) {
          this.polls++;
          if (await napi.run()) this.queue.push(napi);
          continue;
        }
        const fn = this.work.shift();
        if (fn !== undefined) {
          this.works++;
          await fn();
        }
      }
      // Budget exhausted: forget the rest so a later interrupt can schedule them again.
      for (const napi of this.queue.splice(0)) napi.scheduled = false;
      this.runner = null;
    })();
  }

  /** True when polls or work are waiting or running. */
  get busy(): boolean {
    return this.runner !== null;
  }

  /** Waits until every scheduled poll and deferred work item has run. */
  async drain(): Promise<void> {
    while (this.runner !== null) await this.runner;
  }
}
