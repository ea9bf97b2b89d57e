import { expect, test } from 'vitest';
import { newRqStats, newSqStats, virtnetEthtoolStats, virtnetStatStrings, virtnetStats64 } from './stats.js';

test('ethtool strings: every active RX queue first, then every TX queue, in the desc order', () => {
  expect(virtnetStatStrings(2)).toEqual([
    ...['packets', 'bytes', 'drops', 'xdp_packets', 'xdp_tx', 'xdp_redirects', 'xdp_drops', 'kicks'].map((n) => `rx_queue_0_${n}`),
    ...['packets', 'bytes', 'drops', 'xdp_packets', 'xdp_tx', 'xdp_redirects', 'xdp_drops', 'kicks'].map((n) => `rx_queue_1_${n}`),
    ...['packets', 'bytes', 'xdp_tx', 'xdp_tx_drops', 'kicks', 'tx_timeouts'].map((n) => `tx_queue_0_${n}`),
    ...['packets', 'bytes', 'xdp_tx', 'xdp_tx_drops', 'kicks', 'tx_timeouts'].map((n) => `tx_queue_1_${n}`),
  ]);
});

test('values follow the strings; stats64 sums every pair, tx_errors are the TX time-outs', () => {
  const rq = [newRqStats(), newRqStats(), newRqStats()];
  const sq = [newSqStats(), newSqStats(), newSqStats()];
  rq[0]!.packets = 3;
  rq[2]!.drops = 4;
  sq[1]!.bytes = 100;
  sq[2]!.tx_timeouts = 2;
  const v = virtnetEthtoolStats(2, rq, sq);
  expect(v[0]).toBe(3);
  expect(v[16 + 6 + 1]).toBe(100);
  const s = virtnetStats64(rq, sq, { tx_dropped: 1, tx_fifo_errors: 1, rx_length_errors: 5, rx_frame_errors: 6 });
  expect(s).toEqual({ rx_packets: 3, tx_packets: 0, rx_bytes: 0, tx_bytes: 100, rx_dropped: 4, tx_errors: 2, tx_dropped: 1, tx_fifo_errors: 1, rx_length_errors: 5, rx_frame_errors: 6 });
});
