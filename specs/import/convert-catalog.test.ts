import { describe, expect, it } from 'vitest';
import { convertCatalog } from './convert-catalog.js';

const meta = { spec: { repository: 'github.com/oasis-tcs/virtio-spec', commit_read: '15f488c162107f7b52fb2e4d0f36a2349fe9d3a9', tag: 'v1.4-cs01' } };
const source = {
  id: 'x.device.1', section: '5.1.4.1', title: 'Device Requirements: x', role: 'device', level: 'MUST', text: 'Device does x.',
  topic: 'x', area: 'g', label: 'devicenormative:x', block: 'devicenormative', normative: 'explicit',
  in_conformance_clause: true, legacy: false, since: '1.2', sections_by_version: { '1.2': '5.1.4.1' }, locator: 'The device MUST',
};

describe('convertCatalog', () => {
  it('renames fields to camelCase and fills absent feature lists', () => {
    const result = convertCatalog([source, { ...source, id: 'x.device.2', features: ['VIRTIO_NET_F_MQ'], since_note: 'n' }], meta);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.catalog.clauses[0]).toMatchObject({ id: 'x.device.1', inConformanceClause: true, features: [], sectionsByVersion: { '1.2': '5.1.4.1' } });
    expect(result.catalog.clauses[1]).toMatchObject({ features: ['VIRTIO_NET_F_MQ'], sinceNote: 'n' });
    expect(result.catalog.spec.tag).toBe('v1.4-cs01');
  });

  it('refuses a bad source entry with its index, id and field', () => {
    const result = convertCatalog([source, { ...source, id: 'x.device.2', role: 'both' }], meta);
    expect(result).toEqual({ ok: false, errors: [expect.stringContaining("clauses[1] (id 'x.device.2'), field 'role'")] });
  });

  it('refuses a source that is not an array', () => {
    expect(convertCatalog({}, meta)).toEqual({ ok: false, errors: ['the clause file is not a JSON array'] });
  });
});
