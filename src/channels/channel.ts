import type { ChannelConfig } from '../config/config.js';
import { severityRank } from '../config/config.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { AlertNotice, DigestView } from '../render/views.js';
import type { HttpPoster } from './http-poster.js';

/**
 * A channel turns notices into payloads (rendered through templates) and delivers them. Payloads
 * are plain data, so an undelivered one can wait in the ledger's outbox and be sent later;
 * they never contain secrets (URLs and signing keys are read from the environment at delivery).
 */
export interface Payload {
  channel: string;
  kind: ChannelConfig['kind'];
  /** What the notification is about, for logs and the outbox. */
  subject: string;
  /** The message: text for console and file, JSON text for slack and webhook. */
  body: string;
  /** file channel: the rendered text-log lines (the JSON line is `body`). */
  text?: string;
}

export interface DeliveryContext {
  env: Record<string, string | undefined>;
  /** Where the console channel writes. */
  writeConsole(text: string): void;
  http: HttpPoster;
}

export interface Channel {
  readonly config: ChannelConfig;
  renderAlert(notice: AlertNotice, templates: TemplateEnv, now: string): Payload;
  renderDigest(view: DigestView, templates: TemplateEnv): Payload;
  /** Throws a DriftError (DELIVERY_FAILED, DELIVERY_REJECTED, CHANNEL_MISCONFIGURED) when not delivered. */
  deliver(payload: Payload, context: DeliveryContext): Promise<void>;
}

/**
 * Why `value` cannot be a webhook URL (undefined when it can): it must parse as an absolute
 * http(s) URL. The problem never repeats the value, which is a secret.
 */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `is not an http(s) URL (it starts with ${url.protocol})`;
  if (!url.hostname) return 'has no host';
  return undefined;
}

/** Whether a channel should hear about a notice: severity floor, target and label filters, event kinds. */
export function channelWants(config: ChannelConfig, notice: Pick<AlertNotice, 'event' | 'severity' | 'target' | 'labels'>): boolean {
  if (severityRank(notice.severity) > severityRank(config.minSeverity)) return false;
  if (config.targets && !config.targets.includes(notice.target)) return false;
  if (config.labels && !Object.entries(config.labels).every(([k, v]) => notice.labels[k] === v)) return false;
  return config.events.includes(notice.event);
}
