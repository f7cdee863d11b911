import { createRequire } from 'node:module';
import type HandlebarsModule from 'handlebars';
import { printable, relativeTime, slackEscape, truncate } from './helpers.js';

/**
 * The Handlebars adapter: the only module that loads handlebars. Templates render with
 * prototype access off and `strict` (a missing field is an error).
 * - `text` templates (alerts, digests, pull requests) are not escaped (none of those outputs is
 *   HTML), may use our helpers, and paths passed to helpers are strict too;
 * - `html` templates (the HTML report) use Handlebars' default HTML escaping and no helpers;
 * - `html-text` templates (email HTML bodies) are `text` templates whose `{{value}}` is HTML-escaped
 *   (use `{{{value}}}` for markup).
 * Built-in templates are precompiled at build time (precompileTemplate) and rendered with
 * Handlebars' runtime alone (templateFromSpec); the compiler is loaded only to compile a template
 * that has no precompiled form (a user override, or a checkout not built since a template changed).
 */
export type RenderTemplate = (view: object) => string;
export type TemplateKind = 'text' | 'html-text' | 'html';
type Handlebars = typeof HandlebarsModule;

const renderOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

// CommonJS, required on first use: a command that renders nothing loads neither the runtime nor the compiler.
const require = createRequire(import.meta.url);
const instances = new Map<string, Handlebars>();
function instance(library: 'compiler' | 'runtime', kind: TemplateKind): Handlebars {
  const key = `${library}:${kind === 'html' ? 'html' : 'text'}`;
  let hb = instances.get(key);
  if (!hb) {
    hb = ((library === 'compiler' ? require('handlebars') : require('handlebars/runtime')) as Handlebars).create();
    if (kind !== 'html') registerHelpers(hb);
    instances.set(key, hb);
  }
  return hb;
}

function compileOptions(kind: TemplateKind): CompileOptions {
  return kind === 'html' ? { strict: true } : { noEscape: kind === 'text', strict: true };
}

/** The AST that is compiled: for text templates, helper arguments are strict too (see strictParams). */
function parseFor(hb: Handlebars, text: string, kind: TemplateKind): hbs.AST.Program | string {
  // Strict mode checks only a mustache's own path; make helper arguments (`{{json alert.nmae}}`,
  // `{{#if target.nmae}}`) strict too, so an unknown field is an error wherever it is used.
  return kind === 'html' ? text : strictParams(hb.parse(text));
}

/** Compiles `text`; throws the library's parse error (see templateErrorLine). */
export function compileTemplate(text: string, kind: TemplateKind): RenderTemplate {
  const hb = instance('compiler', kind);
  const template = hb.compile(parseFor(hb, text, kind), compileOptions(kind));
  return (view) => template(view, renderOptions);
}

/** The precompiled form of `text` (JavaScript source of Handlebars' template spec), for templateFromSpec. */
export function precompileTemplate(text: string, kind: TemplateKind): string {
  const hb = instance('compiler', kind);
  return hb.precompile(parseFor(hb, text, kind), compileOptions(kind)) as string;
}

/** Renders a spec written by precompileTemplate with the runtime only (same helpers, same options). */
export function templateFromSpec(specSource: string, kind: TemplateKind): RenderTemplate {
  const spec = new Function(`return (${specSource});`)() as TemplateSpecification;
  const template = instance('runtime', kind).template(spec);
  return (view) => template(view, renderOptions);
}

/** The handlebars version (precompiled specs are tied to it). */
export function handlebarsVersion(): string {
  return (require('handlebars/package.json') as { version: string }).version;
}

/** `:<line>` of a template parse or render error, or '' when the error names none. */
export function templateErrorLine(error: unknown): string {
  const message = (error as Error).message ?? '';
  const parse = /Parse error on line (\d+)/.exec(message) ?? /- (\d+):\d+\s*$/m.exec(message);
  const line = parse?.[1] ?? (error as { lineNumber?: number }).lineNumber;
  return line ? `:${line}` : '';
}

type HelperOptions = HandlebarsModule.HelperOptions;

const EMOJI: Record<string, string> = { critical: '🔴', high: '🟠', medium: '🟡', low: '🔵', info: '⚪', none: '✅', resolved: '✅' };

/**
 * The helpers every template may use. Templates are compiled with `noEscape` (none of our
 * outputs is HTML), so JSON templates must emit every string through `json` or `jsonText`,
 * which always produce valid JSON string literals whatever the text holds.
 */
function registerHelpers(hb: Handlebars): void {
  /** `{{json value}}`: the value as a JSON literal. */
  hb.registerHelper('json', (value: unknown) => new hb.SafeString(JSON.stringify(value ?? null)));
  /** `{{#jsonText}}any *text* {{name}}{{/jsonText}}`: the rendered block as one JSON string literal. */
  hb.registerHelper('jsonText', function (this: unknown, options: HelperOptions) {
    return new hb.SafeString(JSON.stringify(options.fn(this).trim()));
  });
  /** `{{nl}}`: a line break (Slack mrkdwn uses real newlines inside JSON strings). */
  hb.registerHelper('nl', () => '\n');
  hb.registerHelper('severityEmoji', (severity: string) => EMOJI[severity] ?? '⚪');
  hb.registerHelper('severityLabel', (severity: string) => String(severity).toUpperCase());
  /** `{{plural 3 "change"}}` → "3 changes". */
  hb.registerHelper('plural', (count: number, word: string, pluralWord?: unknown) => {
    const many = typeof pluralWord === 'string' ? pluralWord : `${word}s`;
    return `${count} ${count === 1 ? word : many}`;
  });
  /** `{{relativeTime time}}`: "5 minutes ago", relative to the view's `now`. */
  hb.registerHelper('relativeTime', function (time: string, options: HelperOptions) {
    const now = Date.parse((options.data?.root as { now?: string } | undefined)?.now ?? new Date().toISOString());
    return relativeTime(Date.parse(time), now);
  });
  /** `{{truncate text 80}}`: at most N characters, ending in "…" when cut. */
  hb.registerHelper('truncate', (text: unknown, length: number) => truncate(String(text ?? ''), length));
  /** `{{slackText text}}`: escapes &, < and > for Slack mrkdwn. */
  hb.registerHelper('slackText', (text: unknown) => slackEscape(String(text ?? '')));
  /** `{{slackLink url "text"}}`: a Slack link, or just the text when there is no URL. */
  hb.registerHelper('slackLink', (url: unknown, text: unknown) => {
    const label = slackEscape(String(text ?? ''));
    if (typeof url !== 'string' || url === '') return label;
    return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${label.replace(/\|/g, '¦')}>`;
  });
  /** `{{printable text}}`: control characters (newlines in file names) shown as escapes, on one line. */
  hb.registerHelper('printable', (text: unknown) => printable(String(text ?? '')));
  hb.registerHelper('shortHash', (hash: unknown) => (typeof hash === 'string' ? hash.slice(0, 8) : '–'));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('gt', (a: number, b: number) => a > b);
  hb.registerHelper('lt', (a: number, b: number) => a < b);
  /** `{{#if (or a b)}}`: true when any argument is truthy. */
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hb.registerHelper('upper', (text: unknown) => String(text ?? '').toUpperCase());
}

/** Marks every path passed to a helper (params and hash values, in sub-expressions too) as strict. */
function strictParams(program: hbs.AST.Program): hbs.AST.Program {
  const visit = (node: unknown, isArgument: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, isArgument);
      return;
    }
    const n = node as { type?: string; strict?: boolean; params?: unknown; hash?: { pairs?: { value: unknown }[] } } & Record<string, unknown>;
    if (n.type === 'PathExpression') {
      if (isArgument) n.strict = true;
      return;
    }
    for (const [key, value] of Object.entries(n)) {
      if (key === 'loc') continue;
      if (key === 'params') visit(value, true);
      else if (key === 'hash') for (const pair of (value as { pairs?: { value: unknown }[] } | undefined)?.pairs ?? []) visit(pair.value, true);
      else visit(value, false);
    }
  };
  visit(program, false);
  return program;
}
