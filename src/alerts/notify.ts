import path from 'node:path';
import { webhookUrlProblem, type Channel, type DeliveryContext, type Payload } from '../channels/channel.js';
import type { HttpPoster } from '../channels/http-poster.js';
import type { MailSender } from '../channels/mail-sender.js';
import type { Config } from '../config/config.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Ledger, LedgerWriter } from '../ledger/ledger.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { AlertNotice } from '../render/views.js';
import { deliverWithOutbox, renderNotices, type DeliveryOutcome, type OutboxBudget } from './delivery.js';

/**
 * Templates (compiled and checked against sample data) and channels, loaded on demand by the
 * operations that notify (check, accept, alert, digest), so that read-only commands start
 * without Handlebars and the HTTP client.
 */
export interface Alerting {
  templates: TemplateEnv;
  channels: Channel[];
  delivery: DeliveryContext;
  /** Retry budget of outbox entries (alerts.outbox). */
  outbox: OutboxBudget;
}

export interface AlertingDeps {
  env: Record<string, string | undefined>;
  /** Where the console channel writes (default: nowhere). */
  writeConsole?: (text: string) => void;
  /** HTTP client for Slack and webhook channels (default: undici with retries). */
  http?: HttpPoster;
  /** SMTP client for email channels (default: nodemailer, loaded on the first email sent). */
  mail?: MailSender;
  /** Config errors name the config file relative to this directory (default: the absolute path). */
  cwd?: string;
}

/** The SMTP adapter, loaded on the first email sent (nodemailer is not loaded otherwise). */
function lazySmtpMailer(): MailSender {
  let mailer: Promise<MailSender> | undefined;
  return {
    async send(server, message, options) {
      mailer ??= import('../channels/smtp-mailer.js').then((m) => m.createSmtpMailer());
      return (await mailer).send(server, message, options);
    },
  };
}

/** The HTTP adapter, loaded on the first Slack, webhook, SMS or PagerDuty post (undici is not loaded otherwise). */
function lazyHttpPoster(): HttpPoster {
  let poster: Promise<HttpPoster> | undefined;
  return {
    async post(url, body, headers, options) {
      poster ??= import('../channels/http-poster.js').then((m) => m.createHttpPoster());
      return (await poster).post(url, body, headers, options);
    },
  };
}

export async function loadAlerting(config: Config, deps: AlertingDeps): Promise<Alerting> {
  const [{ createTemplateEnv }, { templateSamples }, { createChannel }] = await Promise.all([
    import('../render/template-env.js'),
    import('../render/samples.js'),
    import('../channels/registry.js'),
  ]);
  checkWebhookUrls(config, deps.env, (deps.cwd !== undefined && path.relative(deps.cwd, config.file)) || config.file);
  return {
    templates: createTemplateEnv(config.alerts.templates, templateSamples()),
    channels: config.alerts.channels.map(createChannel),
    delivery: { env: deps.env, writeConsole: deps.writeConsole ?? (() => undefined), http: deps.http ?? lazyHttpPoster(), mail: deps.mail ?? lazySmtpMailer() },
    outbox: config.alerts.outbox,
  };
}

/**
 * A webhook URL that is set but malformed is a config error at load (one line per channel, naming
 * the config file, the field and the variable, never the value), instead of a delivery retried as
 * a network error. An unset variable is left to delivery: the notification waits in the outbox.
 */
function checkWebhookUrls(config: Config, env: Record<string, string | undefined>, file: string): void {
  const issues: ConfigIssue[] = [];
  config.alerts.channels.forEach((channel, index) => {
    if (!channel.urlEnv || (channel.kind !== 'slack' && channel.kind !== 'webhook')) return;
    const value = env[channel.urlEnv];
    const problem = value ? webhookUrlProblem(value) : undefined;
    if (!problem) return;
    const field = channel.kind === 'slack' ? 'webhook_env' : 'url_env';
    issues.push({
      file,
      path: `alerts.channels[${index}].${field}`,
      message: `the environment variable ${channel.urlEnv} (channel "${channel.name}") ${problem}: set it to the ${channel.kind === 'slack' ? 'Slack incoming-webhook' : 'webhook'} URL, https://…`,
    });
  });
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Where notify delivers: the outbox of `base`, and the writer that stages the `outbox` commit. */
export interface NotifyOutbox {
  ledger: Ledger;
  base: string | undefined;
  writer: LedgerWriter;
}

export interface NotifyResult {
  /** The rendered payloads (what was sent, or with no outbox what would be). */
  payloads: Payload[];
  /** Notices whose template failed (`unrendered`) first, then each delivery with its outcome. */
  deliveries: DeliveryOutcome[];
}

/**
 * The one way check, alert and accept notify: render every notice for every channel that wants it,
 * then (given an outbox) deliver the outbox of `base` and the new payloads, staging one `outbox`
 * commit if the outbox changed. Without an outbox nothing is sent: `alert --dry-run` shows the
 * payloads and `accept --pr` queues them on its branch.
 */
export async function notify(alerting: Alerting, outbox: NotifyOutbox | undefined, notices: AlertNotice[], now: Date): Promise<NotifyResult> {
  const { payloads, failures } = renderNotices(alerting.channels, alerting.templates, notices, now.toISOString());
  if (!outbox) return { payloads, deliveries: failures };
  const delivered = await deliverWithOutbox(outbox.ledger, outbox.base, outbox.writer, alerting.channels, payloads, alerting.delivery, now, alerting.outbox);
  return { payloads, deliveries: [...failures, ...delivered] };
}
