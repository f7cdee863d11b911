import { readFileSync } from 'node:fs';

/**
 * Files shipped with driftctl (package.json, templates/, schemas/) are located relative to the
 * installed package's root, found by walking up from this module to the first package.json named
 * "driftctl". The same lookup works from the tsc output (dist/src/…), from a bundle (dist/bundle/…),
 * from a tarball install and from `npm i -g`, so no caller depends on how deep its own file sits.
 */
let root: URL | undefined;

export function packageRoot(): URL {
  if (root) return root;
  let dir = new URL('./', import.meta.url);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string };
      if (pkg.name === 'driftctl') return (root = dir);
    } catch {
      // No package.json here (or not readable): keep walking up.
    }
    const parent = new URL('../', dir);
    if (parent.href === dir.href) throw new Error(`driftctl: cannot find its package.json above ${import.meta.url}`);
    dir = parent;
  }
}

/** A file or folder of the installed package, e.g. `packageFile('templates/')`. */
export function packageFile(relative: string): URL {
  return new URL(relative, packageRoot());
}
