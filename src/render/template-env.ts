import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { BUILTIN_TEMPLATE_DIR, builtinTemplate } from './builtin-templates.js';
import { compileTemplate, templateErrorLine, type RenderTemplate } from './handlebars.js';

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
 * Every template compiled through handlebars.ts (strict, with our helpers). Templates in `userDir` override built-ins by name
 * (`slack.hbs` replaces the built-in Slack template). Templates named `*.html` HTML-escape what
 * `{{...}}` inserts; the others insert text as it is. Overrides are compiled and their `samples`
 * rendered at load, so a user template that fails to parse or render is a config error naming its
 * file and line; built-in templates are compiled on first render (a command that sends nothing
 * compiles none).
 */
export function createTemplateEnv(userDir: string | undefined, samples: Partial<Record<TemplateName, object>>): TemplateEnv {
  const issues: ConfigIssue[] = [];
  const sources = {} as Record<TemplateName, string>;
  const compiled = new Map<TemplateName, RenderTemplate>();
  if (userDir && !existsSync(userDir)) issues.push({ file: userDir, path: 'alerts.templates', message: 'template folder does not exist' });
  const overrides = new Set(userDir && existsSync(userDir) ? readdirSync(userDir).filter((f) => f.endsWith('.hbs')) : []);
  for (const name of overrides) {
    if (!TEMPLATE_NAMES.includes(name.slice(0, -4) as TemplateName)) {
      issues.push({ file: path.join(userDir as string, name), path: '', message: `unknown template name (known: ${TEMPLATE_NAMES.map((n) => `${n}.hbs`).join(', ')})` });
    }
  }
  // User overrides are compiled and sample-rendered now, so a broken one is a config error at load;
  // built-in templates (fixed, tested, precompiled at build time) are loaded on first use only.
  const compile = (name: TemplateName, file: string): RenderTemplate => compileTemplate(readFileSync(file, 'utf8'), name.endsWith('.html') ? 'html-text' : 'text');
  const overridden = new Set<TemplateName>();
  for (const name of TEMPLATE_NAMES) {
    const override = overrides.has(`${name}.hbs`);
    const file = override ? path.join(userDir as string, `${name}.hbs`) : new URL(`${name}.hbs`, BUILTIN_TEMPLATE_DIR).pathname;
    sources[name] = file;
    if (!override) continue;
    overridden.add(name);
    try {
      const template = compile(name, file);
      compiled.set(name, template);
      const sample = samples[name];
      if (sample) {
        const out = template(sample);
        if (JSON_TEMPLATES.has(name)) {
          try {
            JSON.parse(out);
          } catch (error) {
            issues.push({ file, path: '', message: `does not render valid JSON (${firstLine(error)}); emit strings with {{json value}} or {{#jsonText}}…{{/jsonText}}` });
          }
        }
      }
    } catch (error) {
      issues.push({ file: `${file}${templateErrorLine(error)}`, path: '', message: `template error: ${firstLine(error)}` });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    sources,
    render(name, view) {
      try {
        let template = compiled.get(name);
        if (!template) compiled.set(name, (template = overridden.has(name) ? compile(name, sources[name]) : builtinTemplate(`${name}.hbs`)));
        return template(view);
      } catch (error) {
        throw new ConfigError([{ file: `${sources[name]}${templateErrorLine(error)}`, path: '', message: `template error: ${firstLine(error)}` }]);
      }
    },
  };
}

function firstLine(error: unknown): string {
  return ((error as Error).message ?? String(error)).split('\n')[0];
}
