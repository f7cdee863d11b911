import { ledgerReader } from '../ledger/reader.js';
import type { AlertEventRecord, OpenAlert } from '../ledger/records.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { openWorkspace } from '../session/workspace.js';

export interface AlertsListResult {
  open: OpenAlert[];
  recent: AlertEventRecord[];
  outbox: { id: string; channel: string; subject: string; attempts: number; lastError: string }[];
}

/** Open alerts of every target, the most recent alert events (newest first), and the outbox. */
export async function listAlerts(deps: OpDeps, options: ConfigOption & { limit?: number }): Promise<AlertsListResult> {
  const ws = openWorkspace(deps, options);
  const reader = ledgerReader(ws.ledger, await ws.ledger.requireTip());
  const open = await reader.openAlerts(ws.config.targets.map((t) => t.name));
  const recent = await reader.recentAlertEvents(options.limit ?? 20);
  const outbox = (await reader.outbox()).map((e) => ({ id: e.id, channel: e.channel, subject: e.subject, attempts: e.attempts, lastError: e.lastError }));
  return { open, recent, outbox };
}
