import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { registerHelpers } from './helpers.js';

/** The built-in templates shipped in templates/. */
export const BUILTIN_TEMPLATE_DIR = new URL('../../../templates/', import.meta.url);

export type TemplateName =
  | 'console'
  | 'file'
  | 'slack'
  | 'webhook'
  | 'digest-console'
  | 'digest-slack'
  | 'pr-body'
  | 'email-subject'
  | 'email.txt'
  | 'email.html'
  | 'digest-email.txt'
  | 'digest-email.html'
  | 'sms'
  | 'pagerduty';
export const TEMPLATE_NAMES: TemplateName[] = [
  'console',
  'file',
  'slack',
  'webhook',
  'digest-console',
  'digest-slack',
  'pr-body',
  'email-subject',
  'email.txt',
  'email.html',
  'digest-email.txt',
  'digest-email.html',
  'sms',
  'pagerduty',
];

/** Templates whose output must parse as JSON. */
const JSON_TEMPLATES = new Set<TemplateName>(['slack', 'webhook', 'digest-slack']);

export interface TemplateEnv {
  render(name: TemplateName, view: object): string;
  /** Where each template came from (a user override or the built-in file). */
  sources: Record<TemplateName, string>;
}

/**
 * A private Handlebars instance (prototype access off, strict: a missing field is an error) with
 * our helpers and every template compiled. Templates in `userDir` override built-ins by name
 * (`slack.hbs` replaces the built-in Slack template). Templates named `*.html` HTML-escape what
 * `{{...}}` inserts; the others insert text as it is. `samples` are rendered once at load, so a
 * template that fails to parse or render is a config error naming its file and line.
 */
export function createTemplateEnv(userDir: string | undefined, samples: Partial<Record<TemplateName, object>>): TemplateEnv {
  const hb = Handlebars.create();
  registerHelpers(hb);
  const issues: ConfigIssue[] = [];
  const sources = {} as Record<TemplateName, string>;
  const compiled = new Map<TemplateName, HandlebarsTemplateDelegate>();
  if (userDir && !existsSync(userDir)) issues.push({ file: userDir, path: 'alerts.templates', message: 'template folder does not exist' });
  const overrides = new Set(userDir && existsSync(userDir) ? readdirSync(userDir).filter((f) => f.endsWith('.hbs')) : []);
  for (const name of overrides) {
    if (!TEMPLATE_NAMES.includes(name.slice(0, -4) as TemplateName)) {
      issues.push({ file: path.join(userDir as string, name), path: '', message: `unknown template name (known: ${TEMPLATE_NAMES.map((n) => `${n}.hbs`).join(', ')})` });
    }
  }
  for (const name of TEMPLATE_NAMES) {
    const file = overrides.has(`${name}.hbs`) ? path.join(userDir as string, `${name}.hbs`) : new URL(`${name}.hbs`, BUILTIN_TEMPLATE_DIR).pathname;
    sources[name] = file;
    try {
      const text = readFileSync(file, 'utf8');
      // Strict mode checks only a mustache's own path; make helper arguments (`{{json alert.nmae}}`,
      // `{{#if target.nmae}}`) strict too, so an unknown field is an error wherever it is used.
      // HTML templates escape {{value}} for HTML (use {{{value}}} for markup); every other output is plain text or JSON.
      const template = hb.compile(strictParams(hb.parse(text)), { noEscape: !name.endsWith('.html'), strict: true });
      compiled.set(name, template);
      const sample = samples[name];
      if (sample) {
        const out = template(sample, renderOptions);
        if (JSON_TEMPLATES.has(name)) {
          try {
            JSON.parse(out);
          } catch (error) {
            issues.push({ file, path: '', message: `does not render valid JSON (${firstLine(error)}); emit strings with {{json value}} or {{#jsonText}}…{{/jsonText}}` });
          }
        }
      }
    } catch (error) {
      issues.push({ file: `${file}${lineOf(error)}`, path: '', message: `template error: ${firstLine(error)}` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    sources,
    render(name, view) {
      const template = compiled.get(name) as HandlebarsTemplateDelegate;
      try {
        return template(view, renderOptions);
      } catch (error) {
        throw new ConfigError([{ file: `${sources[name]}${lineOf(error)}`, path: '', message: `template error: ${firstLine(error)}` }]);
      }
    },
  };
}

const renderOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

function lineOf(error: unknown): string {
  const message = (error as Error).message ?? '';
  const parse = /Parse error on line (\d+)/.exec(message) ?? /- (\d+):\d+\s*$/m.exec(message);
  const line = parse?.[1] ?? (error as { lineNumber?: number }).lineNumber;
  return line ? `:${line}` : '';
}

function firstLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).split('\n')[0];
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
