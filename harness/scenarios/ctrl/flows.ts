/**
 * Arbitrary IPv4 flows and the frames that carry them, for the steering scenarios.
 *
 * @module
 */

import fc from 'fast-check';
import { ETH_P_IP, ethernetFrame, fillerPayload, type Ipv4Flow, ipv4Packet } from './frames.js';

const octet = fc.nat(255);

/** An IPv4 TCP or UDP flow with arbitrary addresses and ports. */
export const ipv4Flow: fc.Arbitrary<Ipv4Flow> = fc.record({
  src: fc.tuple(octet, octet, octet, octet),
  dst: fc.tuple(octet, octet, octet, octet),
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  sport: fc.nat(0xffff),
  dport: fc.nat(0xffff),
});

/** The frame of one packet of `flow`, addressed to `dst`, unique by `seq`. */
export function flowFrame(dst: Uint8Array, flow: Ipv4Flow, seq: number): Uint8Array {
  return ethernetFrame({ dst, etherType: ETH_P_IP, payload: ipv4Packet(flow, fillerPayload(seq, 18)) });
}

/** `a.b.c.d:port > e.f.g.h:port proto`. */
export function describeFlow(f: Ipv4Flow): string {
  return `${f.src.join('.')}:${f.sport} > ${f.dst.join('.')}:${f.dport} ${f.protocol}`;
}
