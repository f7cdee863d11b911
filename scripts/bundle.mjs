// Build step: bundles the compiled CLI (dist/src/, written by tsc) with esbuild into dist/bundle/,
// which bin/driftctl runs. Code splitting keeps what a command does not use in chunks loaded only
// by the dynamic imports already in the sources (one per command, per source kind, per channel).
// The hash worker is its own entry point, so `new URL('./hash-worker.js', import.meta.url)` in
// whichever chunk holds the hash pool names dist/bundle/hash-worker.js. Dependencies are bundled
// too; createRequire gives their CommonJS code a real `require` for Node's built-in modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: 'dist/src/cli/main.js', 'hash-worker': 'dist/src/sources/hash-worker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  banner: { js: "import { createRequire as __driftctlCreateRequire } from 'node:module'; const require = __driftctlCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'linked',
});
