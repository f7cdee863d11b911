import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_TEMPLATE_DIR, builtinKind, builtinTemplate, precompiledPath } from '../../src/render/builtin-templates.js';
import { compileTemplate, templateFromSpec } from '../../src/render/handlebars.js';
import { templateSamples } from '../../src/render/samples.js';
import { TEMPLATE_NAMES } from '../../src/render/template-env.js';

/** Built-in templates are precompiled by `npm run build` and rendered with Handlebars' runtime alone. */

const builtins = readdirSync(BUILTIN_TEMPLATE_DIR).filter((f) => f.endsWith('.hbs'));
const textOf = (name: string): string => readFileSync(new URL(name, BUILTIN_TEMPLATE_DIR), 'utf8');

test('the build wrote a precompiled spec for the current text of every built-in template', () => {
  assert.ok(builtins.length >= TEMPLATE_NAMES.length + 1, builtins.join(', '));
  for (const name of builtins) {
    const spec = readFileSync(precompiledPath(name, textOf(name)), 'utf8');
    assert.match(spec, /"compiler":\[8,/, `${name}: a Handlebars template spec`);
  }
  assert.is(builtinKind('report.html.hbs'), 'html');
  assert.is(builtinKind('email.html.hbs'), 'html-text');
  assert.is(builtinKind('slack.hbs'), 'text');
});

test('precompiled and compiled templates render the same text for every sample, and stay strict', () => {
  const samples = templateSamples();
  for (const name of TEMPLATE_NAMES) {
    const sample = samples[name];
    if (!sample) continue;
    const file = `${name}.hbs`;
    const fromSpec = templateFromSpec(readFileSync(precompiledPath(file, textOf(file)), 'utf8'), builtinKind(file));
    assert.is(fromSpec(sample), compileTemplate(textOf(file), builtinKind(file))(sample), name);
    assert.is(builtinTemplate(file)(sample), fromSpec(sample), `${name} through builtinTemplate`);
  }
  // A missing field is an error with the precompiled form too (strict, helper arguments included).
  assert.throws(() => builtinTemplate('console.hbs')({}), /not defined|Cannot read/);
});

test('rendering built-in templates never loads the Handlebars compiler', () => {
  const module = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/render/builtin-templates.js');
  const samples = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/render/samples.js');
  const script = `
    import { createRequire } from 'node:module';
    const { builtinTemplate } = await import(${JSON.stringify(module)});
    const { templateSamples } = await import(${JSON.stringify(samples)});
    const out = builtinTemplate('slack.hbs')(templateSamples().slack);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('handlebars'));
    process.stdout.write(JSON.stringify({ length: out.length, loaded }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  const { length, loaded } = JSON.parse(run.stdout) as { length: number; loaded: string[] };
  assert.ok(length > 0);
  assert.ok(loaded.some((f) => /handlebars\.runtime\.js$/.test(f)), loaded.join('\n'));
  assert.equal(loaded.filter((f) => /[\\/]compiler[\\/]/.test(f) || /lib[\\/]index\.js$/.test(f)), [], 'no compiler module loaded');
});

test.run();
