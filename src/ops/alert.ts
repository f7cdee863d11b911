import { readAlertsState, readHead, readLatestReport, readOutbox } from '../ledger/reader.js';
import type { DeliveryOutcome } from '../alerts/delivery.js';
import { alertSummary, type AlertSummary, stageTargetAlerts } from '../alerts/state-store.js';
import { withPreviews, type PreviewedPayload } from '../channels/channel.js';
import type { AlertNotice } from '../render/views.js';
import type { ConfigOption, OpDeps, TargetFilter } from '../session/deps.js';
import { loadAlerting, notify } from '../alerts/notify.js';
import { selectTargets } from '../session/targets.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import { openWorkspace, withLock } from '../session/workspace.js';

export interface AlertOptions extends ConfigOption, TargetFilter {
  dryRun?: boolean;
}

export interface AlertResult {
  dryRun: boolean;
  alerts: AlertSummary[];
  /** With --dry-run: what would be sent, rendered. */
  payloads: PreviewedPayload[];
  /** Undelivered notifications waiting in the outbox (with --dry-run they are only counted). */
  outbox: number;
  deliveries: DeliveryOutcome[];
  tip: string;
}

/**
 * Evaluates the latest report of each target against its alerts and sends what the lifecycle
 * decides (plus anything waiting in the outbox). Evaluation is idempotent: a report that `check`
 * already evaluated yields no new transitions. `dryRun` renders the payloads and writes nothing.
 */
export async function alert(deps: OpDeps, options: AlertOptions): Promise<AlertResult> {
  const ws = openWorkspace(deps, options);
  const { selected } = selectTargets(ws.config, options.targets, options.labels);
  const alerting = await loadAlerting(ws.config, deps);
  const run = async (): Promise<AlertResult> => {
    const base = await ws.ledger.requireTip();
    const time = deps.now();
    const writer = options.dryRun ? undefined : ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), time));
    const notices: AlertNotice[] = [];
    const alerts: AlertSummary[] = [];
    for (const target of selected) {
      const head = await readHead(ws.ledger, base, target.name);
      if (!head.report) {
        alerts.push({ target: target.name, opened: 0, updated: 0, reminded: 0, resolved: 0, open: 0, note: 'no report yet (run "driftctl check")' });
        continue;
      }
      const report = await readLatestReport(ws.ledger, base, target.name);
      const firstCheck = head.checks !== undefined && head.checks <= 1;
      const state = await readAlertsState(ws.ledger, base, target.name);
      const staged = await stageTargetAlerts(ws.config, alerting.channels, writer, state, { target, changes: report?.changes ?? [], reportId: head.report.id, firstCheck, reason: 'drift-gone' }, time, { ledger: ws.ledger, commit: base });
      notices.push(...staged.notices);
      alerts.push(alertSummary(staged, firstCheck && head.report.status === 'drift' ? 'first check of this target: no alert' : null));
    }
    if (!writer) {
      const { payloads, deliveries } = await notify(alerting, undefined, notices, time);
      return { dryRun: true, alerts, payloads: withPreviews(alerting.channels, payloads, deps.env), outbox: (await readOutbox(ws.ledger, base)).length, deliveries, tip: base };
    }
    const { deliveries } = await notify(alerting, { ledger: ws.ledger, base, writer }, notices, time);
    const tip = (await writer.publish()) as string;
    return { dryRun: false, alerts, payloads: [], outbox: deliveries.filter((d) => d.status !== 'delivered').length, deliveries, tip };
  };
  return options.dryRun ? run() : withLock(ws, deps, 'alert', run);
}
