// Build step: precompiles every built-in template in templates/ into dist/.templates/ (see
// src/render/builtin-templates.ts), so driftctl renders them with Handlebars' runtime and never
// loads the compiler for them. Older precompiled files are removed.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const { precompileBuiltin } = await import('../dist/src/render/builtin-templates.js');
const outdir = new URL('../dist/.templates/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
for (const name of readdirSync(new URL('../templates/', import.meta.url)).filter((f) => f.endsWith('.hbs'))) {
  const { file, source } = precompileBuiltin(name);
  if (path.dirname(file) !== path.resolve(outdir)) throw new Error(`precompiled ${name} would go to ${file}, outside ${outdir}`);
  writeFileSync(file, `${source}\n`);
}
