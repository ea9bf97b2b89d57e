import { describe, expect, it } from 'vitest';
import { configAccessProblem } from './driver-life.js';

describe('configAccessProblem (virtio_net_config field widths)', () => {
  it.each([
    [0, 1],
    [5, 1],
    [6, 2],
    [8, 2],
    [10, 2],
    [12, 4],
    [16, 1],
    [17, 1],
    [18, 2],
    [20, 4],
    [24, 4],
  ])('accepts the access at %i of %i bytes', (offset, width) => {
    expect(configAccessProblem(offset, width)).toBeNull();
  });

  it.each([
    [0, 4, 'mac'],
    [4, 2, 'mac'],
    [6, 1, 'status'],
    [6, 4, 'spans'],
    [12, 2, 'speed'],
    [14, 2, 'speed'],
    [16, 2, 'spans'],
    [18, 1, 'rss_max_indirection_table_length'],
  ])('refuses the access at %i of %i bytes (%s)', (offset, width, word) => {
    expect(configAccessProblem(offset, width)).toContain(word);
  });

  it('leaves accesses past every defined field alone', () => {
    expect(configAccessProblem(28, 4)).toBeNull();
    expect(configAccessProblem(0x40, 1)).toBeNull();
  });
});
