import type { ChannelConfig } from '../config/config.js';
import { severityRank } from '../drift/severity-levels.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { AlertNotice, DigestView } from '../render/views.js';
import type { HttpPoster } from './http-poster.js';
import type { MailSender } from './mail-sender.js';

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
  /**
   * The message: text for console and file; JSON text for slack and webhook, for pagerduty (the
   * event without its routing key), for email (an EmailMessage) and sms (an SmsMessage).
   */
  body: string;
  /** file channel: the rendered text-log lines (the JSON line is `body`). */
  text?: string;
}

export interface DeliveryContext {
  env: Record<string, string | undefined>;
  /** Where the console channel writes. */
  writeConsole(text: string): void;
  http: HttpPoster;
  mail: MailSender;
}

export interface Channel {
  readonly config: ChannelConfig;
  /** One payload, or one per recipient for kinds that send each recipient its own request (sms). */
  renderAlert(notice: AlertNotice, templates: TemplateEnv, now: string): Payload | Payload[];
  /** Absent for kinds that take no digest (sms, pagerduty). */
  renderDigest?(view: DigestView, templates: TemplateEnv): Payload;
  /** Throws a DriftError (DELIVERY_FAILED, DELIVERY_REJECTED, CHANNEL_MISCONFIGURED) when not delivered. */
  deliver(payload: Payload, context: DeliveryContext): Promise<void>;
  /**
   * What delivering `payload` would send, as text for `--dry-run`: where it goes and the message,
   * with every secret from the environment masked (only whether it is set is shown).
   */
  preview?(payload: Payload, env: Record<string, string | undefined>): string;
}

/** A payload as `--dry-run` shows it: with what its channel would send, secrets masked. */
export type PreviewedPayload = Payload & { preview?: string };

export function withPreviews(channels: Channel[], payloads: Payload[], env: Record<string, string | undefined>): PreviewedPayload[] {
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  return payloads.map((payload) => {
    const preview = byName.get(payload.channel)?.preview?.(payload, env);
    return preview === undefined ? payload : { ...payload, preview };
  });
}

/** How `--dry-run` shows a secret read from the environment: its variable and whether it is set, never its value. */
export function maskedEnv(env: Record<string, string | undefined>, name: string | undefined): string {
  if (!name) return '(none)';
  return `****** (from $${name}, ${env[name] ? 'set' : 'NOT SET'})`;
}

/** A channel's payload for an alert notice (the subject names the event and the alert) or a digest. */
export function payloadFor(config: ChannelConfig, about: AlertNotice | 'digest', body: string, text?: string): Payload {
  const subject = about === 'digest' ? 'digest' : `${about.event} ${about.alertId}`;
  return { channel: config.name, kind: config.kind, subject, body, ...(text !== undefined ? { text } : {}) };
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
  // A PagerDuty resolve for an incident never triggered is a no-op, while a skipped one leaves an
  // incident open forever (the alert's severity may have fallen below the floor since): always send it.
  const floorApplies = !(config.kind === 'pagerduty' && notice.event === 'resolved');
  if (floorApplies && severityRank(notice.severity) > severityRank(config.minSeverity)) return false;
  if (config.targets && !config.targets.includes(notice.target)) return false;
  if (config.labels && !Object.entries(config.labels).every(([k, v]) => notice.labels[k] === v)) return false;
  return config.events.includes(notice.event);
}
