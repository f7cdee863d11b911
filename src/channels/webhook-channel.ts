import { createHmac } from 'node:crypto';
import type { ChannelConfig } from '../config/config.js';
import { DriftError } from '../errors.js';
import { alertView } from '../render/views.js';
import { payloadFor, webhookUrlProblem, type Channel } from './channel.js';
import { renderJson } from './slack-channel.js';

/**
 * A generic JSON webhook. With `secret_env`, each request carries
 * `X-Driftctl-Timestamp: <unix seconds>` and `X-Driftctl-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of `<timestamp>.<body>` under the secret, so receivers can check origin and freshness.
 */
export const SIGNATURE_HEADER = 'x-driftctl-signature';
export const TIMESTAMP_HEADER = 'x-driftctl-timestamp';

export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function createWebhookChannel(config: ChannelConfig): Channel {
  return {
    config,
    renderAlert: (notice, templates, now) => payloadFor(config, notice, renderJson(templates, 'webhook', alertView(notice, now))),
    renderDigest: (view) => payloadFor(config, 'digest', JSON.stringify({ type: 'driftctl.digest', ...view })),
    async deliver(payload, context) {
      const url = config.urlEnv ? context.env[config.urlEnv] : undefined;
      const problem = url ? webhookUrlProblem(url) : 'is not set';
      if (!url || problem) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${config.urlEnv} ${problem} (it must hold the webhook URL)`, { data: { retryable: true } });
      const headers: Record<string, string> = {};
      if (config.secretEnv) {
        const secret = context.env[config.secretEnv];
        if (!secret) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${config.secretEnv} is not set (it must hold the signing secret)`, { data: { retryable: true } });
        const timestamp = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = timestamp;
        headers[SIGNATURE_HEADER] = signBody(secret, timestamp, payload.body);
      }
      await context.http.post(url, payload.body, headers, { timeoutMs: config.timeoutMs, retries: config.retries });
    },
  };
}
