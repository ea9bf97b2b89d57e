/**
 * Interrupt context of the front end. The register seam calls interrupt
 * listeners synchronously, often from inside a register access the driver
 * is still awaiting (a notification write that completes buffers at once).
 * Handlers are therefore queued and run one at a time after the current
 * step, never re-entrantly, like a hard IRQ that fires when the CPU is
 * next interruptible. {@link IrqDispatcher.synchronize} waits for the queue
 * to drain (Linux `synchronize_irq` / `vp_synchronize_vectors`).
 *
 * Handlers run inside an async context marker, so that a handler that
 * resets the device (which synchronizes) does not wait for itself.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';

const inHandler = new AsyncLocalStorage<boolean>();

/** Serialises interrupt handlers. */
export class IrqDispatcher {
  private tail: Promise<void> = Promise.resolve();
  private running = true;
  /** Errors thrown by handlers (the register seam failing mid-handler), oldest first. */
  readonly errors: unknown[] = [];
  /** Handlers run so far. */
  handled = 0;

  /** Queues `handler` behind every handler queued before it. Ignored after {@link stop}. */
  schedule(handler: () => void | Promise<void>): void {
    if (!this.running) return;
    this.tail = this.tail.then(async () => {
      if (!this.running) return;
      try {
        await inHandler.run(true, handler);
        this.handled++;
      } catch (error) {
        this.errors.push(error);
      }
    });
  }

  /** Resolves once every handler queued so far, and every handler they queued, has run. */
  async synchronize(): Promise<void> {
    if (IrqDispatcher.inInterrupt) return;
    for (;;) {
      const tail = this.tail;
      await tail;
      // Let listeners fired by the last handler's register accesses queue their handlers.
      await Promise.resolve();
      if (tail === this.tail) return;
    }
  }

  /** True while running inside an interrupt handler (Linux `in_interrupt()`). */
  static get inInterrupt(): boolean {
    return inHandler.getStore() === true;
  }

  /** Drops queued handlers and ignores new ones. */
  stop(): void {
    this.running = false;
  }
}
