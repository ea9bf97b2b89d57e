#!/usr/bin/env node
// The npx entry point: runs the compiled CLI (npm's prepare step builds dist/).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A larger cumulative inlining budget lets V8 inline the ring engine's hot paths (about 17% less
// time per buffer; harness/bench/README.md has the profile). Set before any engine code loads.
setFlagsFromString('--max-inlined-bytecode-size-cumulative=5000');

const entry = new URL('../../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("virtio-net-conformance: the CLI is not built; run 'npm run build' (npm install runs it)\n");
  process.exit(3);
}
// A closed pipe (`| head`) ends output quietly instead of crashing.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
