import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../package-root.js';
import { compileTemplate, handlebarsVersion, precompileTemplate, templateFromSpec, type RenderTemplate, type TemplateKind } from './handlebars.js';

/** The built-in templates shipped in templates/. */
export const BUILTIN_TEMPLATE_DIR = packageFile('templates/');

/**
 * Where `npm run build` writes the precompiled built-in templates (scripts/precompile-templates.mjs;
 * the package ships the folder). Each file is named by a hash of the handlebars version, the kind
 * and the template text, so an edited template or another handlebars never runs a stale spec.
 */
const PRECOMPILED_DIR = packageFile('dist/.templates/');

/** How a built-in template is compiled: the HTML report escapes with no helpers, other `*.html` templates are `html-text`. */
export function builtinKind(fileName: string): TemplateKind {
  if (fileName === 'report.html.hbs') return 'html';
  return fileName.endsWith('.html.hbs') ? 'html-text' : 'text';
}

/** The precompiled file of a built-in template with this text. */
export function precompiledPath(fileName: string, text: string): string {
  const hash = createHash('sha256').update(`${handlebarsVersion()}\0${builtinKind(fileName)}\0${text}`).digest('hex').slice(0, 16);
  return fileURLToPath(new URL(`${fileName.slice(0, -'.hbs'.length)}-${hash}.js`, PRECOMPILED_DIR));
}

/** The precompiled form of a built-in template, as the build step writes it. */
export function precompileBuiltin(fileName: string): { file: string; source: string } {
  const text = readFileSync(new URL(fileName, BUILTIN_TEMPLATE_DIR), 'utf8');
  return { file: precompiledPath(fileName, text), source: precompileTemplate(text, builtinKind(fileName)) };
}

/**
 * A built-in template (`fileName` in templates/), from its precompiled spec when the build wrote
 * one for this exact text (Handlebars' runtime only), else compiled now. Throws the library's
 * error for a template that does not compile (see templateErrorLine).
 */
export function builtinTemplate(fileName: string): RenderTemplate {
  const text = readFileSync(new URL(fileName, BUILTIN_TEMPLATE_DIR), 'utf8');
  const kind = builtinKind(fileName);
  let spec: string;
  try {
    spec = readFileSync(precompiledPath(fileName, text), 'utf8');
  } catch {
    return compileTemplate(text, kind);
  }
  return templateFromSpec(spec, kind);
}
