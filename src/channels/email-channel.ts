import { readFileSync } from 'node:fs';
import type { ChannelConfig, EmailSettings } from '../config/config.js';
import { DriftError, messageOf } from '../errors.js';
import { alertView, type AlertNotice } from '../render/views.js';
import { maskedEnv, type Channel } from './channel.js';
import type { EmailMessage, SmtpServer } from './mail-sender.js';

/**
 * Email over SMTP: a multipart text + HTML message per notification, rendered from
 * `email-subject.hbs`, `email.txt.hbs` and `email.html.hbs` (`digest-email.*.hbs` for the
 * digest). The payload body is the whole message as JSON (an EmailMessage), so the outbox resends
 * exactly what was rendered. The SMTP login and password are read from the environment at delivery.
 *
 * Threading: an alert's first message has `Message-ID: <driftctl.<fingerprint>.<alert id>@<domain>>`;
 * every later message of the same alert (updated, reminded, resolved) names it in `In-Reply-To`
 * and `References`, so mail clients show one thread per alert. The domain is the sender's.
 */
export function createEmailChannel(config: ChannelConfig): Channel {
  const settings = config.email as EmailSettings;
  return {
    config,
    renderAlert(notice, templates, now) {
      const view = alertView(notice, now);
      const thread = threadIds(notice, settings.from, now);
      const message: EmailMessage = {
        ...addresses(settings),
        subject: subjectLine(templates.render('email-subject', view)),
        text: templates.render('email.txt', view),
        html: templates.render('email.html', view),
        ...thread,
      };
      return { channel: config.name, kind: 'email', subject: `${notice.event} ${notice.alertId}`, body: JSON.stringify(message) };
    },
    renderDigest(view, templates) {
      const message: EmailMessage = {
        ...addresses(settings),
        subject: subjectLine(`[driftctl] ${view.title}`),
        text: templates.render('digest-email.txt', view),
        html: templates.render('digest-email.html', view),
        messageId: `<driftctl.digest.${compactTime(view.now)}@${mailDomain(settings.from)}>`,
        inReplyTo: null,
        references: [],
      };
      return { channel: config.name, kind: 'email', subject: 'digest', body: JSON.stringify(message) };
    },
    async deliver(payload, context) {
      await context.mail.send(smtpServer(config, context.env), JSON.parse(payload.body) as EmailMessage, { timeoutMs: config.timeoutMs, retries: config.retries });
    },
    preview(payload, env) {
      const message = JSON.parse(payload.body) as EmailMessage;
      const auth = settings.userEnv ? `login ${maskedEnv(env, settings.userEnv)}, password ${maskedEnv(env, settings.passwordEnv)}` : 'no login';
      const lines = [
        `SMTP ${settings.host}:${settings.port} (${TLS_LABEL[settings.tls]}${settings.ca ? `, CA ${settings.ca}` : ''}), ${auth}`,
        `From: ${message.from}`,
        `To: ${message.to.join(', ')}`,
        ...(message.cc.length > 0 ? [`Cc: ${message.cc.join(', ')}`] : []),
        `Subject: ${message.subject}`,
        `Message-ID: ${message.messageId}`,
        ...(message.inReplyTo ? [`In-Reply-To: ${message.inReplyTo}`, `References: ${message.references.join(' ')}`] : []),
        '',
        message.text.trimEnd(),
        '',
        `[text/html alternative: ${Buffer.byteLength(message.html)} bytes]`,
      ];
      return lines.join('\n');
    },
  };
}

const TLS_LABEL = { starttls: 'STARTTLS required', implicit: 'implicit TLS', none: 'no TLS' } as const;

function addresses(settings: EmailSettings): Pick<EmailMessage, 'from' | 'to' | 'cc'> {
  return { from: settings.from, to: [...settings.to], cc: [...settings.cc] };
}

/** The Message-ID, In-Reply-To and References of a notice: see createEmailChannel. */
export function threadIds(notice: Pick<AlertNotice, 'event' | 'fingerprint' | 'alertId'>, from: string, now: string): Pick<EmailMessage, 'messageId' | 'inReplyTo' | 'references'> {
  const domain = mailDomain(from);
  const root = `<driftctl.${notice.fingerprint}.${notice.alertId}@${domain}>`;
  if (notice.event === 'opened') return { messageId: root, inReplyTo: null, references: [] };
  return { messageId: `<driftctl.${notice.fingerprint}.${notice.alertId}.${notice.event}.${compactTime(now)}@${domain}>`, inReplyTo: root, references: [root] };
}

/** The domain of a `Name <local@domain>` or `local@domain` address (lower case). */
export function mailDomain(address: string): string {
  const inner = /<([^<>]+)>\s*$/.exec(address)?.[1] ?? address;
  return (inner.split('@').pop() ?? 'driftctl.invalid').trim().toLowerCase() || 'driftctl.invalid';
}

function compactTime(iso: string): string {
  return iso.replace(/[^0-9TZ]/g, '');
}

/** One line, at most 200 characters: a template's stray newlines never become header injection. */
function subjectLine(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return [...line].length > 200 ? `${[...line].slice(0, 199).join('')}…` : line;
}

function smtpServer(config: ChannelConfig, env: Record<string, string | undefined>): SmtpServer {
  const settings = config.email as EmailSettings;
  let auth: SmtpServer['auth'];
  if (settings.userEnv && settings.passwordEnv) {
    const user = env[settings.userEnv];
    const pass = env[settings.passwordEnv];
    for (const [name, value, what] of [
      [settings.userEnv, user, 'SMTP user name'],
      [settings.passwordEnv, pass, 'SMTP password'],
    ] as const) {
      if (!value) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${name} is not set (it must hold the ${what})`, { data: { retryable: true } });
    }
    auth = { user: user as string, pass: pass as string };
  }
  let ca: string | undefined;
  if (settings.ca) {
    try {
      ca = readFileSync(settings.ca, 'utf8');
    } catch (error) {
      throw new DriftError('CHANNEL_MISCONFIGURED', `cannot read the CA file ${settings.ca} (${messageOf(error).split('\n')[0]})`, { data: { retryable: true } });
    }
  }
  return { host: settings.host, port: settings.port, tls: settings.tls, ...(auth ? { auth } : {}), ...(ca ? { ca } : {}) };
}

