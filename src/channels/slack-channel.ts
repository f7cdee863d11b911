import type { ChannelConfig } from '../config/config.js';
import { ConfigError, DriftError } from '../errors.js';
import type { TemplateEnv } from '../render/template-env.js';
import { alertView, DIFF_HEAD_LINES } from '../render/views.js';
import { payloadFor, webhookUrlProblem, type Channel } from './channel.js';

/**
 * Slack incoming webhooks, Block Kit payloads rendered from `slack.hbs` / `digest-slack.hbs`.
 * Slack's limits (50 blocks, 3,000 characters per text, 150 per header, 2,000 per field) are
 * respected by degrading in tiers: every change, then the first few and "… and N more", then
 * counts and a link; at each tier content diffs are shown (their first lines in a code block, then
 * "… N more lines" and the `driftctl show` command), then left out if the payload is still too big.
 * The webhook URL comes from the environment variable the config names.
 */
export const SLACK_LIMITS = { blocks: 50, text: 3000, header: 150, field: 2000, bytes: 40_000 };
const TIERS = [Number.POSITIVE_INFINITY, 40, 20, 10, 5, 0];
/** Lines of each content diff tried at every tier (0: no diff blocks). */
const DIFF_TIERS = [DIFF_HEAD_LINES, 5, 0];

export function createSlackChannel(config: ChannelConfig): Channel {
  return {
    config,
    renderAlert(notice, templates, now) {
      for (const shown of TIERS) {
        for (const diffLines of notice.diffs?.size ? DIFF_TIERS : [0]) {
          const body = renderJson(templates, 'slack', alertView(notice, now, shown, diffLines));
          if (slackProblem(body) === undefined) return payloadFor(config, notice, body);
        }
      }
      const body = renderJson(templates, 'slack', alertView(notice, now, 0));
      throw new ConfigError([{ file: templates.sources.slack, path: '', message: `renders a payload over Slack's limits even with no changes listed (${slackProblem(body)})` }]);
    },
    renderDigest(view, templates) {
      for (const shown of TIERS) {
        const limited = { ...view, topChanges: view.topChanges.slice(0, shown), more: view.more + Math.max(0, view.topChanges.length - shown) };
        const body = renderJson(templates, 'digest-slack', limited);
        if (slackProblem(body) === undefined) return payloadFor(config, 'digest', body);
      }
      throw new ConfigError([{ file: templates.sources['digest-slack'], path: '', message: "renders a payload over Slack's limits" }]);
    },
    async deliver(payload, context) {
      const url = config.urlEnv ? context.env[config.urlEnv] : undefined;
      if (!url) {
        throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${config.urlEnv} is not set (it must hold the Slack incoming-webhook URL)`, { data: { retryable: true } });
      }
      const problem = webhookUrlProblem(url);
      if (problem) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${config.urlEnv} ${problem} (it must hold the Slack incoming-webhook URL)`, { data: { retryable: true } });
      await context.http.post(url, payload.body, {}, { timeoutMs: config.timeoutMs, retries: config.retries });
    },
  };
}

/** Renders a JSON template and proves the result parses; a template that yields bad JSON is a config error. */
export function renderJson(templates: TemplateEnv, name: 'slack' | 'digest-slack' | 'webhook', view: object): string {
  const text = templates.render(name, view);
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new ConfigError([{ file: templates.sources[name], path: '', message: `does not render valid JSON (${(error as Error).message})` }]);
  }
}

/** The first Slack limit a payload breaks, or undefined. */
export function slackProblem(body: string): string | undefined {
  if (Buffer.byteLength(body) > SLACK_LIMITS.bytes) return `payload over ${SLACK_LIMITS.bytes} bytes`;
  const payload = JSON.parse(body) as { text?: string; blocks?: { type: string; text?: { text?: string }; fields?: { text?: string }[]; elements?: { text?: string }[] }[] };
  const blocks = payload.blocks ?? [];
  if (blocks.length > SLACK_LIMITS.blocks) return `${blocks.length} blocks (at most ${SLACK_LIMITS.blocks})`;
  if ((payload.text ?? '').length > SLACK_LIMITS.text) return 'top-level text too long';
  for (const block of blocks) {
    const limit = block.type === 'header' ? SLACK_LIMITS.header : SLACK_LIMITS.text;
    if ((block.text?.text ?? '').length > limit) return `${block.type} text over ${limit} characters`;
    for (const field of block.fields ?? []) if ((field.text ?? '').length > SLACK_LIMITS.field) return `field over ${SLACK_LIMITS.field} characters`;
    if ((block.fields ?? []).length > 10) return 'more than 10 fields in a section';
    for (const element of block.elements ?? []) if ((element.text ?? '').length > SLACK_LIMITS.text) return 'context text too long';
  }
  return undefined;
}
