/**
 * What the transmit, receive and control-queue paths share: the core's
 * context, the config space, the wire, counters and logs. Driver rule
 * breaks go to both logs: the net log (`driver-violation` events) and the
 * core's through `context.violation`, so that one log holds every violation.
 *
 * @module
 */

import type { DeviceContext } from '../device/backend.js';
import type { NetConfigSpace } from './config-space.js';
import type { NetCounters } from './counters.js';
import type { NetEventLog } from './net-events.js';
import type { NetWire } from './wire.js';

/** The environment of one datapath (built by the net device at DRIVER_OK). */
export interface NetPathEnv {
  /** The core's context: guest memory, queues, interrupts. */
  readonly context: DeviceContext;
  readonly config: NetConfigSpace;
  readonly wire: NetWire;
  readonly counters: NetCounters;
  readonly events: NetEventLog;
}
