/**
 * Loads a user's adapter module (`--device ./my-device.js`, `--driver ./my-driver.js`) and checks
 * that it implements the contract, so a module that does not load, exports the wrong thing or was
 * written for another contract version is refused with a precise message before anything runs.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ADAPTER_CONTRACT_VERSION, type DeviceAdapter, type DriverAdapter } from './contract.js';

/** Why a module could not be used. */
export type AdapterLoadResult<A> =
  | { readonly kind: 'loaded'; readonly adapter: A; readonly path: string }
  | { readonly kind: 'error'; readonly message: string };

const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'expected a function');

const common = {
  name: z.string().min(1),
  contractVersion: z.literal(ADAPTER_CONTRACT_VERSION, { message: `expected contractVersion ${ADAPTER_CONTRACT_VERSION}` }),
  transports: z.array(z.enum(['pci', 'mmio'])).min(1),
};

const deviceAdapterSchema = z.looseObject({ kind: z.literal('device'), ...common, create: fn });
const driverAdapterSchema = z.looseObject({ kind: z.literal('driver'), ...common, bind: fn });

async function load<A>(role: 'device' | 'driver', specifier: string, cwd: string, schema: z.ZodType): Promise<AdapterLoadResult<A>> {
  const path = resolve(cwd, specifier);
  if (!existsSync(path)) return { kind: 'error', message: `--${role} ${specifier}: no such file (${path})` };
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    return { kind: 'error', message: `--${role} ${specifier}: the module does not load: ${(error as Error).message}` };
  }
  const named = role === 'device' ? 'deviceAdapter' : 'driverAdapter';
  const exported = module['default'] ?? module[named];
  if (exported === undefined) {
    return { kind: 'error', message: `--${role} ${specifier}: the module exports neither a default adapter nor '${named}'` };
  }
  const candidate = typeof exported === 'function' && !('kind' in exported) ? await (exported as () => unknown)() : exported;
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? `field '${issue.path.join('.')}'` : 'the export';
    return { kind: 'error', message: `--${role} ${specifier}: does not implement the ${role} adapter contract: ${field}: ${issue.message}` };
  }
  return { kind: 'loaded', adapter: candidate as A, path };
}

/** Loads a device adapter module (default export or `deviceAdapter`, an object or a factory of one). */
export function loadDeviceAdapter(specifier: string, cwd = process.cwd()): Promise<AdapterLoadResult<DeviceAdapter>> {
  return load<DeviceAdapter>('device', specifier, cwd, deviceAdapterSchema);
}

/** Loads a driver adapter module (default export or `driverAdapter`, an object or a factory of one). */
export function loadDriverAdapter(specifier: string, cwd = process.cwd()): Promise<AdapterLoadResult<DriverAdapter>> {
  return load<DriverAdapter>('driver', specifier, cwd, driverAdapterSchema);
}
