// vitest entry for the 'transport' checks of a conformance run (see harness/run/suite.ts).
import { defineAreaSuite } from '../suite.js';

await defineAreaSuite('transport');
