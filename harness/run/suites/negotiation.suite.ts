// vitest entry for the 'negotiation' checks of a conformance run (see harness/run/suite.ts).
import { defineAreaSuite } from '../suite.js';

await defineAreaSuite('negotiation');
