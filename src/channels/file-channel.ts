import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ChannelConfig } from '../config/config.js';
import { DriftError, messageOf } from '../errors.js';
import { alertView } from '../render/views.js';
import { payloadFor, type Channel } from './channel.js';

/** An append-only JSON-lines log (one event per line), plus an optional rendered text log. */
export function createFileChannel(config: ChannelConfig): Channel {
  return {
    config,
    renderAlert(notice, templates, now) {
      const view = alertView(notice, now);
      const line = {
        type: 'driftctl.alert',
        time: now,
        event: notice.event,
        alert: notice.alertId,
        fingerprint: notice.fingerprint,
        class: notice.alertClass,
        target: notice.target,
        source: notice.source,
        severity: notice.severity,
        report: notice.reportId,
        reason: notice.reason,
        summary: view.summary,
        changes: notice.changes.map((c) => ({ key: c.key, change: c.change, severity: c.severity, rule: c.rule })),
      };
      return payloadFor(config, notice, JSON.stringify(line), templates.render('file', view));
    },
    renderDigest(view, templates) {
      const body = JSON.stringify({ type: 'driftctl.digest', time: view.now, since: view.since, counts: view.counts, open: view.open, resolved: view.resolved });
      return payloadFor(config, 'digest', body, templates.render('digest-console', view));
    },
    async deliver(payload) {
      try {
        for (const [file, content] of [
          [config.path, payload.body],
          [config.textPath, payload.text],
        ] as const) {
          if (!file || content === undefined) continue;
          mkdirSync(path.dirname(file), { recursive: true });
          appendFileSync(file, content.endsWith('\n') ? content : `${content}\n`);
        }
      } catch (error) {
        throw new DriftError('DELIVERY_FAILED', `cannot append to the log: ${messageOf(error)}`, { data: { retryable: true } });
      }
    },
  };
}
