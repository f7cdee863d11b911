// Build step: bundles the compiled CLI (dist/src/, written by tsc) with esbuild into dist/bundle/,
// which bin/driftctl runs. Code splitting keeps what a command does not use in chunks loaded only
// by the dynamic imports already in the sources (one per command, per source kind, per channel).
// The hash worker is its own entry point, so `new URL('./hash-worker.js', import.meta.url)` in
// whichever chunk holds the hash pool names dist/bundle/hash-worker.js. Dependencies are bundled
// too; createRequire gives their CommonJS code a real `require` for Node's built-in modules.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * isomorphic-git carries portable implementations for browsers: it deflates each object it writes
 * through the web CompressionStream and a fetch `Response` (which makes Node load its internal
 * undici, about 40 ms of CPU on a ten-file check), inflates with pako (JavaScript) and hashes with
 * crypto.subtle (whose first use sets up WebCrypto, about 40 ms). In the bundle those three calls
 * use node:zlib and node:crypto instead: the same algorithms, the same bytes and object ids, and
 * corrupt data still ends as isomorphic-git's own error (the inflate failure is thrown as the string
 * pako would throw). Each substitution must match exactly once, or the build fails, so an upgrade
 * of isomorphic-git cannot silently drop one.
 */
const ISOMORPHIC_GIT_NODE_CALLS = [
  {
    what: 'deflate',
    pattern: /if \(supportsCompressionStream === null\) \{\s*supportsCompressionStream = testCompressionStream\(\);\s*\}\s*return supportsCompressionStream\s*\?\s*browserDeflate\(buffer\)\s*:\s*pako\.deflate\(buffer\)/g,
    replacement: "return new Uint8Array(require('node:zlib').deflateSync(buffer))",
  },
  {
    what: 'inflate',
    pattern: /\?\s*await nativeInflate\(buffer\)\s*:\s*pako\.inflate\(buffer\)/g,
    replacement: "? await nativeInflate(buffer) : (() => { try { return new Uint8Array(require('node:zlib').inflateSync(buffer)); } catch (e) { throw String(e && e.message || e); } })()",
  },
  {
    what: 'shasum',
    pattern: /if \(supportsSubtleSHA1 === null\) \{\s*supportsSubtleSHA1 = await testSubtleSHA1\(\);\s*\}\s*return supportsSubtleSHA1 \? subtleSHA1\(buffer\) : shasumSync\(buffer\)/g,
    replacement: "return require('node:crypto').createHash('sha1').update(buffer).digest('hex')",
  },
  {
    // Every API call wraps the fs it is given in a new FileSystem, which probes the fs by calling
    // readFile() with no arguments (an error and its stack each time): wrap each fs object once.
    what: 'FileSystem wrapper',
    pattern: /constructor\(fs\) \{\s*if \(typeof fs\._original_unwrapped_fs !== 'undefined'\) return fs\s*/g,
    replacement: "constructor(fs) { if (typeof fs._original_unwrapped_fs !== 'undefined') return fs; const wrapped = __driftctlWrappedFs.get(fs); if (wrapped) return wrapped; __driftctlWrappedFs.set(fs, this);\n",
  },
];

/**
 * yargs guesses a version when it is created (driftctl then sets its own) by looking for a
 * package.json from the working directory up to /, reading each directory's listing on every run
 * (94 ms under the profiler in the 100,000-file bench tree). In the bundle that search finds
 * nothing, as if no package.json existed; yargs uses it for nothing else driftctl calls.
 */
const YARGS_SHIM_CALLS = [
  { what: 'findUp', pattern: /findUp: escalade,/g, replacement: 'findUp: () => undefined,' },
];
/**
 * string-width (three copies, under yargs' help-text wrapping) builds an Intl.Segmenter and
 * regular expressions over Unicode properties when it loads: the segmenter loads ICU's break
 * iterator data (about 60 ms of CPU) and the \p{...} sets take about 30 ms more, on every run,
 * for help text that most runs never render. In the bundle each such top-level constant is built
 * on first use instead (`let x;` and every use `(x ??= <initialiser>)`); the build fails if a copy
 * no longer has its segmenter in that form.
 */
function buildOnFirstUse(source, file) {
  const declaration = /^const (\w+) = (new Intl\.Segmenter\(\)|\/.*\\p\{.*\/[a-z]*);$/gm;
  const found = [...source.matchAll(declaration)];
  if (!found.some(([, , init]) => init.startsWith('new Intl.Segmenter'))) throw new Error(`scripts/bundle.mjs: no top-level Intl.Segmenter in ${file}: update buildOnFirstUse`);
  for (const [line, name, init] of found) {
    const [before, after] = source.split(line);
    const use = new RegExp(`(?<![\\w$.])${name}(?![\\w$:])`, 'g');
    const firstUse = () => `(${name} ??= ${init})`;
    source = `${before.replace(use, firstUse)}let ${name};${after.replace(use, firstUse)}`;
  }
  return source;
}

const NODE_CALLS_PLUGIN = {
  name: 'dependency-substitutions',
  setup(b) {
    b.onLoad({ filter: /[\\/]isomorphic-git[\\/]index\.c?js$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      for (const { what, pattern, replacement } of ISOMORPHIC_GIT_NODE_CALLS) {
        const count = source.match(pattern)?.length ?? 0;
        if (count !== 1) throw new Error(`scripts/bundle.mjs: the ${what} call of ${args.path} matched ${count} times (expected once): update ISOMORPHIC_GIT_NODE_CALLS`);
        source = source.replace(pattern, replacement);
      }
      source += '\nvar __driftctlWrappedFs = new WeakMap();\n';
      return { contents: source, loader: 'js', resolveDir: args.path.replace(/[\\/][^\\/]*$/, '') };
    });
    b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, (args) => ({
      contents: buildOnFirstUse(readFileSync(args.path, 'utf8'), args.path),
      loader: 'js',
      resolveDir: args.path.replace(/[\\/][^\\/]*$/, ''),
    }));
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      for (const { what, pattern, replacement } of YARGS_SHIM_CALLS) {
        const count = source.match(pattern)?.length ?? 0;
        if (count !== 1) throw new Error(`scripts/bundle.mjs: the ${what} call of ${args.path} matched ${count} times (expected once): update YARGS_SHIM_CALLS`);
        source = source.replace(pattern, replacement);
      }
      return { contents: source, loader: 'js', resolveDir: args.path.replace(/[\\/][^\\/]*$/, '') };
    });
  },
};

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
  plugins: [NODE_CALLS_PLUGIN],
  logLevel: 'warning',
  legalComments: 'linked',
});
