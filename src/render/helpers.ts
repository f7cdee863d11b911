import Handlebars from 'handlebars';

/**
 * The helpers every template may use. Templates are compiled with `noEscape` (none of our
 * outputs is HTML), so JSON templates must emit every string through `json` or `jsonText`,
 * which always produce valid JSON string literals whatever the text holds.
 */
type HelperOptions = Handlebars.HelperOptions;

const EMOJI: Record<string, string> = { critical: '🔴', high: '🟠', medium: '🟡', low: '🔵', info: '⚪', none: '✅', resolved: '✅' };

export function registerHelpers(hb: typeof Handlebars): void {
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
  hb.registerHelper('upper', (text: unknown) => String(text ?? '').toUpperCase());
}

export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, length: number): string {
  const chars = [...text];
  return chars.length <= length ? text : `${chars.slice(0, Math.max(0, length - 1)).join('')}…`;
}

export function relativeTime(then: number, now: number): string {
  if (!Number.isFinite(then)) return 'at an unknown time';
  const seconds = Math.round((now - then) / 1000);
  const abs = Math.abs(seconds);
  const unit = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.floor(abs / 60), 'minute'] : abs < 86400 ? [Math.floor(abs / 3600), 'hour'] : [Math.floor(abs / 86400), 'day'];
  const phrase = `${unit[0]} ${unit[1]}${unit[0] === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${phrase} ago` : `in ${phrase}`;
}
