import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { compileTemplate, templateErrorLine, type RenderTemplate } from './handlebars.js';

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
 * Every template compiled through handlebars.ts (strict, with our helpers). Templates in `userDir` override built-ins by name
 * (`slack.hbs` replaces the built-in Slack template). Templates named `*.html` HTML-escape what
 * `{{...}}` inserts; the others insert text as it is. `samples` are rendered once at load, so a
 * template that fails to parse or render is a config error naming its file and line.
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
  for (const name of TEMPLATE_NAMES) {
    const file = overrides.has(`${name}.hbs`) ? path.join(userDir as string, `${name}.hbs`) : new URL(`${name}.hbs`, BUILTIN_TEMPLATE_DIR).pathname;
    sources[name] = file;
    try {
      const text = readFileSync(file, 'utf8');
      const template = compileTemplate(text, name.endsWith('.html') ? 'html-text' : 'text');
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
      const template = compiled.get(name) as RenderTemplate;
      try {
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
