/**
 * Scenario runners by configuration over one shared guest memory.
 *
 * @module
 */

import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { planRing, RING_SCENARIO_MAX_SIZE, type RingScenarioConfig, ringScenarioLabel } from './ring-config.js';
import type { RingScenarioOptions } from './ring-engine.js';
import { RingScenario } from './ring-scenario.js';
import type { RingRunStats } from './ring-stats.js';

/**
 * Scenario runners by configuration over one shared guest memory, so that a
 * property drawing a configuration per run allocates neither memory nor
 * queues once each configuration has been seen.
 */
export class RingScenarioPool {
  private readonly byKey = new Map<string, RingScenario>();
  /** One memory large enough for every configuration the runner accepts. */
  readonly mem: GuestMemory;

  constructor(private readonly options: RingScenarioOptions = {}) {
    const most = (format: 'split' | 'packed') =>
      planRing({ format, size: RING_SCENARIO_MAX_SIZE, eventIdx: false, indirect: true, inOrder: false }).memoryBytes;
    this.mem = new GuestMemory(Math.max(most('split'), most('packed')));
  }

  /** The runner for `config` (built on first use; the pool forgets old runners past 256 configurations). */
  get(config: RingScenarioConfig): RingScenario {
    const key = ringScenarioLabel(config);
    let s = this.byKey.get(key);
    if (s === undefined) {
      if (this.byKey.size >= 256) this.byKey.clear();
      s = new RingScenario(config, this.options, this.mem);
      this.byKey.set(key, s);
    }
    return s;
  }

  /** Runs `steps` on `config`'s runner. */
  run(config: RingScenarioConfig, steps: ArrayLike<number>): RingRunStats {
    return this.get(config).run(steps);
  }
}

