// vitest entry for the 'mtu' checks of a conformance run (see harness/run/suite.ts).
import { defineAreaSuite } from '../suite.js';

await defineAreaSuite('mtu');
