import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder of this package's `package.json`, found by walking up from this module. The same
 * answer whether the code runs from source (vitest) or from `dist/` (the CLI), so data files such
 * as the catalog are read from one place.
 */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'virtio-net-conformance') {
          cached = dir;
          return dir;
        }
      } catch {
        /* not ours; keep walking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('virtio-net-conformance: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
