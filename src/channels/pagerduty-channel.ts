import type { ChannelConfig, PagerDutySettings } from '../config/config.js';
import { summarize } from '../drift/report.js';
import type { Severity } from '../drift/severity-levels.js';
import { DriftError } from '../errors.js';
import { alertView, changeView } from '../render/views.js';
import { TOOL_NAME } from '../version.js';
import { maskedEnv, type Channel } from './channel.js';

/**
 * PagerDuty Events API v2: `trigger` when an alert opens, changes or is reminded, `resolve` when
 * it resolves, all with `dedup_key` = the alert fingerprint, so the incident opens and closes with
 * the drift. The summary is `pagerduty.hbs` on one line; `custom_details` carries the changes (at
 * most MAX_DETAILED, then a count). The routing key is read from the environment at delivery and
 * is never part of the payload that the outbox keeps.
 */
export const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

const MAX_DETAILED = 50;
const MAX_SUMMARY = 1024;

export interface PagerDutyEvent {
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: string;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client?: string;
  client_url?: string;
}

export function createPagerDutyChannel(config: ChannelConfig): Channel {
  const settings = config.pagerduty as PagerDutySettings;
  return {
    config,
    renderAlert(notice, templates, now) {
      const subject = `${notice.event} ${notice.alertId}`;
      if (notice.event === 'resolved') {
        const event: PagerDutyEvent = { event_action: 'resolve', dedup_key: notice.fingerprint };
        return { channel: config.name, kind: 'pagerduty', subject, body: JSON.stringify(event) };
      }
      const view = alertView(notice, now);
      const line = templates.render('pagerduty', view).replace(/\s+/g, ' ').trim();
      const summary = summarize(notice.changes);
      const event: PagerDutyEvent = {
        event_action: 'trigger',
        dedup_key: notice.fingerprint,
        payload: {
          summary: [...line].length > MAX_SUMMARY ? `${[...line].slice(0, MAX_SUMMARY - 1).join('')}…` : line,
          source: notice.target,
          severity: PAGERDUTY_SEVERITY[notice.severity],
          timestamp: notice.time,
          component: notice.source,
          group: notice.target,
          class: notice.alertClass,
          custom_details: {
            event: notice.event,
            alert: notice.alertId,
            fingerprint: notice.fingerprint,
            target: notice.target,
            labels: notice.labels,
            source: notice.source,
            severity: notice.severity,
            opened_at: notice.openedAt,
            report: notice.reportId,
            report_link: notice.reportLink,
            summary: { total: summary.total, added: summary.added, removed: summary.removed, changed: summary.changed },
            changes: notice.changes.slice(0, MAX_DETAILED).map((c) => {
              const v = changeView(c);
              return { key: v.key, change: v.change, severity: v.severity, rule: v.rule, before: v.before, after: v.after, details: v.details };
            }),
            more: Math.max(0, notice.changes.length - MAX_DETAILED),
          },
        },
        client: TOOL_NAME,
        ...(notice.reportLink ? { client_url: notice.reportLink, links: [{ href: notice.reportLink, text: `Drift report ${notice.reportId ?? ''}`.trim() }] } : {}),
      };
      return { channel: config.name, kind: 'pagerduty', subject, body: JSON.stringify(event) };
    },
    async deliver(payload, context) {
      const key = context.env[settings.routingKeyEnv];
      if (!key) throw new DriftError('CHANNEL_MISCONFIGURED', `environment variable ${settings.routingKeyEnv} is not set (it must hold the PagerDuty integration routing key)`, { data: { retryable: true } });
      const body = JSON.stringify({ routing_key: key, ...(JSON.parse(payload.body) as PagerDutyEvent) });
      try {
        await context.http.post(settings.apiUrl, body, {}, { timeoutMs: config.timeoutMs, retries: config.retries });
      } catch (error) {
        // PagerDuty's 400 answers may quote the request; the key never reaches a message.
        if (error instanceof DriftError && error.message.includes(key)) throw new DriftError(error.code, error.message.split(key).join('[redacted]'), { data: error.data });
        throw error;
      }
    },
    preview(payload, env) {
      const event = JSON.parse(payload.body) as PagerDutyEvent;
      return [`POST ${settings.apiUrl}`, JSON.stringify({ routing_key: maskedEnv(env, settings.routingKeyEnv), ...event }, null, 2)].join('\n');
    },
  };
}
