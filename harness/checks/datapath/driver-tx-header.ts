/**
 * What a driver puts in a transmit header: checksum flags only with CSUM, GSO types only with
 * the matching HOST_* feature, never the receive-only flags, and `num_buffers` 0. The driver is
 * asked for checksum offload and segmentation as a network stack would ask (segmentation always
 * with a partial checksum); the instrument shows the header fields the driver wrote and the
 * frames it refused.
 *
 * @module
 */

import fc from 'fast-check';
import { featureNames } from '../../../specs/features/feature-set.js';
import type { NetHdrFields } from '../../../reference-impl/net/net-header.js';
import type { TxRequest } from '../../adapters/contract.js';
import { driverOffer, type DriverOffer, type OpenDriver, openDriver, transmitThrough, type TxObservation } from '../../scenarios/datapath/driver-rig.js';
import { BROADCAST, ethernetFrame } from '../../scenarios/datapath/frames.js';
import { type HdrFields, type HdrFinding, txHeaderFindings } from '../../scenarios/datapath/header-rules.js';
import { checkProperty, OK, type RunFinding, scaledRuns, violation } from '../../scenarios/datapath/property.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext } from '../context.js';

function fields(h: Readonly<NetHdrFields>): HdrFields {
  return { flags: h.flags, gsoType: h.gsoType, hdrLen: h.hdrLen, gsoSize: h.gsoSize, csumStart: h.csumStart, csumOffset: h.csumOffset, numBuffers: h.numBuffers };
}

/** A transmit request as a stack would make it: TCP-like offsets, GSO only with a partial checksum. */
interface Ask {
  readonly length: number;
  readonly csum: boolean;
  readonly gso: 'tcpv4' | 'tcpv6' | null;
  readonly mss: number;
}

function request(ask: Ask): TxRequest {
  const frame = ethernetFrame(BROADCAST, ask.gso === null ? ask.length : Math.max(ask.length, ask.mss + 100), Uint8Array.of(0x45, 0, 0, 0x28));
  const checksum = { start: 34, offset: 16 };
  if (ask.gso !== null) return { frame, checksum, gso: { type: ask.gso, size: ask.mss } };
  return ask.csum ? { frame, checksum } : { frame };
}

const askArb: fc.Arbitrary<Ask> = fc.record({
  length: fc.integer({ min: 60, max: 1514 }),
  csum: fc.boolean(),
  gso: fc.constantFrom<'tcpv4' | 'tcpv6' | null>(null, 'tcpv4', 'tcpv6'),
  mss: fc.integer({ min: 536, max: 1460 }),
});

const runArb = fc.record({ offer: driverOffer(), asks: fc.array(askArb, { minLength: 1, maxLength: 4 }) });

type Judge = (rig: OpenDriver, seen: TxObservation) => HdrFinding | null;

/** A property over offers and requests judged by `judge`, after fixed baseline runs. */
async function runTxProperty(ctx: DriverCheckContext, baseline: readonly { offer: DriverOffer; asks: readonly Ask[] }[], judge: Judge): Promise<CheckOutcome> {
  const runOnce = async ({ offer, asks }: { offer: DriverOffer; asks: readonly Ask[] }): Promise<RunFinding> => {
    const opened = await openDriver(ctx, offer);
    if (opened.kind !== 'open') return { kind: 'skip', reason: opened.reason };
    for (const ask of asks) {
      const seen = await transmitThrough(opened.rig, request(ask));
      const found = judge(opened.rig, seen);
      if (found !== null) return violation(found.clause, `${found.observed} (negotiated: ${featureNames(opened.rig.features).join(', ')})`, found.expected);
    }
    return OK;
  };
  for (const run of baseline) {
    const found = await runOnce(run);
    if (found.kind === 'violation') return { kind: 'violated', clause: found.clause, observed: found.observed, expected: found.expected };
  }
  // Every run binds, probes and opens a driver: runs are scaled down, each sends up to four frames.
  return checkProperty(ctx.config, scaledRuns(ctx.config, 20, 4), runArb, runOnce);
}

const OFFLOAD_CLAUSES = [
  'net.tx.driver.3',
  'net.tx.driver.45',
  'net.tx.driver.7',
  'net.tx.driver.9',
  'net.tx.driver.11',
  'net.tx.driver.13',
  'net.tx.driver.17',
  'net.tx.driver.22',
  'net.tx.driver.31',
  'net.tx.driver.32',
  'net.tx.driver.33',
] as const;

const NONE: DriverOffer = { mrgRxbuf: true, hashReport: false, csum: false, hostTso: false, guestCsum: false, guestTso: false };
const CSUM_ONLY: DriverOffer = { ...NONE, csum: true };
const ALL: DriverOffer = { ...NONE, csum: true, hostTso: true };
const OFFLOAD_ASKS: readonly Ask[] = [
  { length: 200, csum: true, gso: null, mss: 1000 },
  { length: 3000, csum: true, gso: 'tcpv4', mss: 1000 },
];

/** `datapath.driver.tx-offload-flags`: Transmit flags and gso_type only as CSUM and HOST_* allow (`net.tx.driver.3`, `.7`, `.9`, `.11`, `.13`, `.17`, `.22`, `.31`–`.33`, `.45`). */
export const driverTxOffloadFlags: Check<DriverCheckContext> = {
  id: 'datapath.driver.tx-offload-flags',
  title: 'Transmit flags only with CSUM, GSO types only with their HOST_* feature, and GSO with NEEDS_CSUM and the MSS',
  clauses: OFFLOAD_CLAUSES,
  role: 'driver',
  level: 'MUST',
  area: 'datapath',
  applies: {},
  decision:
    'Judged from the header fields the instrument read at the negotiated length (its wire record) and from the frames it refused ' +
    'with one of these clauses. The ECN rules (net.tx.driver.14 SHOULD NOT, .15) are not judged: whether the stream used CWR is ' +
    'not visible. gso_size must equal the MSS the driver was given (net.tx.driver.33).',
  run(ctx) {
    const clauses = new Set<string>(OFFLOAD_CLAUSES);
    return runTxProperty(ctx, [NONE, CSUM_ONLY, ALL].map((offer) => ({ offer, asks: OFFLOAD_ASKS })), (rig, seen) => {
      const refused = seen.refusals.find((e) => e.clause !== null && clauses.has(e.clause));
      if (refused !== undefined && refused.clause !== null) {
        return { clause: refused.clause, observed: `the instrument refused a frame: ${refused.message}`, expected: 'a header the negotiated features allow' };
      }
      for (const record of seen.records) {
        const found = txHeaderFindings(fields(record.header), rig.features)[0];
        if (found !== undefined) return found;
        const gso = seen.request.gso;
        if (record.header.gsoType !== 0 && gso !== undefined && record.header.gsoSize !== gso.size) {
          return { clause: 'net.tx.driver.33', observed: `gso_size ${record.header.gsoSize} for an MSS of ${gso.size}`, expected: 'gso_size = the MSS' };
        }
      }
      return null;
    });
  },
};

/** `datapath.driver.tx-num-buffers`: num_buffers is 0 in every transmit header (`net.tx.driver.2`). */
export const driverTxNumBuffers: Check<DriverCheckContext> = {
  id: 'datapath.driver.tx-num-buffers',
  title: 'The driver sets num_buffers to 0 in every transmit header',
  clauses: ['net.tx.driver.2'],
  role: 'driver',
  level: 'MUST',
  area: 'datapath',
  applies: {},
  decision:
    'net.tx.driver.2 is a MUST for every header that has num_buffers (VERSION_1), with or without MRG_RXBUF. Linux 6.1 writes 0 only ' +
    'with MRG_RXBUF and leaves bytes 10-11 as they were otherwise (linux-driver-facts §3.1); such a driver passes only while that ' +
    'memory happens to hold zeros, and fails here as soon as it does not.',
  run(ctx) {
    return runTxProperty(ctx, [{ offer: NONE, asks: OFFLOAD_ASKS }, { offer: { ...ALL, mrgRxbuf: false }, asks: OFFLOAD_ASKS }], (rig, seen) => {
      const refused = seen.refusals.find((e) => e.clause === 'net.tx.driver.2');
      if (refused !== undefined) return { clause: 'net.tx.driver.2', observed: `the instrument saw ${refused.message}`, expected: 'num_buffers 0' };
      for (const record of seen.records) {
        if (rig.hdrLength >= 12 && record.header.numBuffers !== 0) {
          return { clause: 'net.tx.driver.2', observed: `num_buffers ${record.header.numBuffers} in a transmit header`, expected: 'num_buffers 0' };
        }
      }
      return null;
    });
  },
};
