import { describe, expect, test } from 'vitest';
import { catalog } from '../../specs/catalog/index.js';
import { RING_OBSERVER_RULES, ringRule } from './ring-rules.js';

describe('ring observer rule registry', () => {
  const clauses = catalog();

  test('rule IDs are unique and name their format', () => {
    const ids = RING_OBSERVER_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RING_OBSERVER_RULES) expect(rule.id.startsWith(`ring.${rule.format}.`)).toBe(true);
    expect(RING_OBSERVER_RULES.filter((r) => r.format === 'split')).toHaveLength(25);
    expect(RING_OBSERVER_RULES.filter((r) => r.format === 'packed')).toHaveLength(23);
  });

  test('every cited clause exists in the catalog', () => {
    const missing = RING_OBSERVER_RULES.flatMap((r) => r.clauses.filter((id) => !clauses.has(id)).map((id) => `${r.id}: ${id}`));
    expect(missing).toEqual([]);
  });

  test('role and level are those of the primary clause', () => {
    const mismatches = RING_OBSERVER_RULES.flatMap((r) => {
      const primary = clauses.get(r.clauses[0]);
      return primary && primary.role === r.role && primary.level === r.level ? [] : [`${r.id}: ${primary?.role} ${primary?.level}`];
    });
    expect(mismatches).toEqual([]);
  });

  test('cited clauses come from the ring areas (d split, e packed, f notifications) or the IN_ORDER feature bit', () => {
    const areas = new Set(RING_OBSERVER_RULES.flatMap((r) => r.clauses.map((id) => clauses.get(id)?.area)));
    expect([...areas].sort()).toEqual(['b', 'd', 'e']);
    const fromB = RING_OBSERVER_RULES.flatMap((r) => r.clauses.filter((id) => clauses.get(id)?.area === 'b'));
    expect([...new Set(fromB)]).toEqual(['rfb.device.5']);
  });

  test('packed rules require RING_PACKED; split rules exclude it', () => {
    for (const rule of RING_OBSERVER_RULES) {
      if (rule.format === 'packed') expect(rule.requires).toContain('VIRTIO_F_RING_PACKED');
      else expect(rule.excludes).toContain('VIRTIO_F_RING_PACKED');
    }
  });

  test('feature-gated rules name the feature of their clauses', () => {
    expect(ringRule('ring.split.device-notify-event-idx').requires).toContain('VIRTIO_F_EVENT_IDX');
    expect(ringRule('ring.split.device-notify-flags').excludes).toContain('VIRTIO_F_EVENT_IDX');
    expect(ringRule('ring.packed.in-order-use').requires).toEqual(['VIRTIO_F_RING_PACKED', 'VIRTIO_F_IN_ORDER']);
    expect(ringRule('ring.split.indirect-negotiated').excludes).toContain('VIRTIO_F_INDIRECT_DESC');
  });

  test('notification MUSTs are judged only where a side says its batch is finished', () => {
    const notify = RING_OBSERVER_RULES.filter((r) => r.id.includes('-notify'));
    expect(notify.map((r) => `${r.id} ${r.hook}`)).toEqual([
      'ring.split.driver-notify-flags after-driver-step',
      'ring.split.driver-notify-event-idx after-driver-step',
      'ring.split.device-notify-flags after-device-step',
      'ring.split.device-notify-event-idx after-device-step',
      'ring.packed.driver-notify after-driver-step',
      'ring.packed.device-notify after-device-step',
    ]);
  });

  test('ringRule rejects an unknown ID', () => {
    expect(() => ringRule('ring.split.nope' as never)).toThrow(RangeError);
  });
});
