import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDeviceAdapter, loadDriverAdapter } from './load-module.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('loading adapter modules', () => {
  it('loads a module that implements the device contract', async () => {
    const result = await loadDeviceAdapter('reference-device-module.mjs', fixtures);
    expect(result.kind).toBe('loaded');
    if (result.kind === 'loaded') expect(result.adapter.name).toBe('module-reference');
  });

  it.each([
    ['missing.mjs', /--device missing\.mjs: no such file/],
    ['throws-on-load.mjs', /the module does not load: boom at import/],
    ['no-export.mjs', /exports neither a default adapter nor 'deviceAdapter'/],
    ['wrong-version.mjs', /field 'contractVersion': expected contractVersion 1/],
  ])('refuses %s with a precise message', async (file, message) => {
    const result = await loadDeviceAdapter(file, fixtures);
    expect(result.kind).toBe('error');
    if (result.kind === 'error') expect(result.message).toMatch(message);
  });

  it('refuses a device module given as a driver', async () => {
    const result = await loadDriverAdapter('reference-device-module.mjs', fixtures);
    expect(result.kind === 'error' && result.message).toMatch(/does not implement the driver adapter contract: field 'kind'/);
  });
});
