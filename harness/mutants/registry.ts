/**
 * Every shipped mutant, by area.
 *
 * @module
 */

import * as ctrl from './ctrl/index.js';
import * as datapath from './datapath/index.js';
import * as header from './header/index.js';
import type { Mutant } from './mutant.js';
import * as mtu from './mtu/index.js';
import * as negotiation from './negotiation/index.js';
import * as ring from './ring/index.js';
import * as transport from './transport/index.js';

/** All mutants. */
export const ALL_MUTANTS: readonly Mutant[] = [negotiation, transport, header, mtu, ctrl, ring, datapath].flatMap((area) => area.mutants);
