import { readAlertsState, readOutbox, type AlertEventRecord } from '../alerts/alert-engine.js';
import type { OpenAlert } from '../alerts/lifecycle.js';
import { severityRank } from '../drift/severity-levels.js';
import { recordPath } from '../ledger/layout.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { readHistory } from '../ledger/history.js';
import { openWorkspace } from '../session/workspace.js';

export interface AlertsListResult {
  open: OpenAlert[];
  recent: AlertEventRecord[];
  outbox: { id: string; channel: string; subject: string; attempts: number; lastError: string }[];
}

/** Open alerts of every target, the most recent alert events (newest first), and the outbox. */
export async function listAlerts(deps: OpDeps, options: ConfigOption & { limit?: number }): Promise<AlertsListResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const open: OpenAlert[] = [];
  for (const target of ws.config.targets) open.push(...Object.values((await readAlertsState(ws.ledger, tip, target.name)).open));
  open.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || (a.openedAt < b.openedAt ? -1 : 1));
  const limit = options.limit ?? 20;
  const recent: AlertEventRecord[] = [];
  for (const entry of await readHistory(ws.ledger, tip)) {
    if (entry.kind !== 'alert' || !entry.target) continue;
    for (const id of [...entry.records].reverse()) {
      const event = await ws.ledger.readJson<AlertEventRecord>(entry.commit.oid, recordPath(entry.target, id, 'alert'));
      if (event) recent.push(event);
    }
    if (recent.length >= limit) break;
  }
  const outbox = (await readOutbox(ws.ledger, tip)).map((e) => ({ id: e.id, channel: e.channel, subject: e.subject, attempts: e.attempts, lastError: e.lastError }));
  return { open, recent: recent.slice(0, limit), outbox };
}
