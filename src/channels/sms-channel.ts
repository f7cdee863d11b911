import type { ChannelConfig, SmsSettings } from '../config/config.js';
import { DriftError, isDriftError } from '../errors.js';
import { alertView } from '../render/views.js';
import { maskedEnv, type Channel, type Payload } from './channel.js';
import { fitSms, type SmsEncoding } from './sms-segments.js';

/**
 * Text messages through a Twilio-compatible Messages API: one form-encoded POST per recipient to
 * `{api_url}/2010-04-01/Accounts/{AccountSid}/Messages.json` with `To`, `From` and `Body`, basic
 * auth with the account SID and auth token from the environment. The text is `sms.hbs` on one line,
 * cut with "…" to at most `max_segments` segments. Alerts only (no digest); the channel's
 * `min_severity` (default high) decides which alerts page by text.
 */
export interface SmsMessage {
  from: string;
  to: string;
  text: string;
  encoding: SmsEncoding;
  segments: number;
  cut: boolean;
}

export function createSmsChannel(config: ChannelConfig): Channel {
  const settings = config.sms as SmsSettings;
  return {
    config,
    renderAlert(notice, templates, now) {
      const line = templates.render('sms', alertView(notice, now)).replace(/\s+/g, ' ').trim();
      const fitted = fitSms(line, settings.maxSegments);
      return settings.to.map((to): Payload => {
        const message: SmsMessage = { from: settings.from, to, text: fitted.text, encoding: fitted.encoding, segments: fitted.segments, cut: fitted.cut };
        return { channel: config.name, kind: 'sms', subject: `${notice.event} ${notice.alertId} to ${to}`, body: JSON.stringify(message) };
      });
    },
    async deliver(payload, context) {
      const sid = context.env[settings.accountSidEnv];
      const token = context.env[settings.authTokenEnv];
      for (const [name, value, what] of [
        [settings.accountSidEnv, sid, 'account SID'],
        [settings.authTokenEnv, token, 'auth token'],
      ] as const) {
        if (!value) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${name} is not set (it must hold the SMS API ${what})`, { data: { retryable: true } });
      }
      const message = JSON.parse(payload.body) as SmsMessage;
      const form = new URLSearchParams({ To: message.to, From: message.from, Body: message.text }).toString();
      const headers = {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        accept: 'application/json',
        authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`,
      };
      try {
        await context.http.post(messagesUrl(settings.apiUrl, sid as string), form, headers, { timeoutMs: config.timeoutMs, retries: config.retries });
      } catch (error) {
        // The poster already cuts the URL (and so the SID) out of what the server says; the token too.
        if (isDriftError(error) && (token as string).length >= 4 && error.message.includes(token as string)) {
          throw new DriftError(error.code, error.message.split(token as string).join('[redacted]'), { data: error.data });
        }
        throw error;
      }
    },
    preview(payload, env) {
      const message = JSON.parse(payload.body) as SmsMessage;
      return [
        `POST ${settings.apiUrl}/2010-04-01/Accounts/{account SID}/Messages.json (form-encoded)`,
        `basic auth: account SID ${maskedEnv(env, settings.accountSidEnv)}, auth token ${maskedEnv(env, settings.authTokenEnv)}`,
        `To=${message.to} From=${message.from}`,
        `Body (${message.segments} segment${message.segments === 1 ? '' : 's'}, ${message.encoding}${message.cut ? `, cut at max_segments ${settings.maxSegments}` : ''}, ${[...message.text].length} characters):`,
        message.text,
      ].join('\n');
    },
  };
}

export function messagesUrl(apiUrl: string, accountSid: string): string {
  return `${apiUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
}
