import { ledgerReader } from '../ledger/reader.js';
import type { AlertEventRecord, OpenAlert } from '../ledger/records.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { openWorkspace } from '../session/workspace.js';
import { readWaivers } from '../ledger/loop-records.js';
import { configWaivers } from '../session/loop-hooks.js';
import { isActive } from '../drift/waivers.js';

export interface AlertsListResult {
  open: OpenAlert[];
  /** Waivers in force now, soonest expiry first. */
  waivers: { target: string; id: string; keys: string[]; until: string; by: string; reason: string }[];
  recent: AlertEventRecord[];
  outbox: { id: string; channel: string; subject: string; attempts: number; lastError: string }[];
}

/** Open alerts of every target, the most recent alert events (newest first), and the outbox. */
export async function listAlerts(deps: OpDeps, options: ConfigOption & { limit?: number }): Promise<AlertsListResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const reader = ledgerReader(ws.ledger, tip);
  const open = await reader.openAlerts(ws.config.targets.map((t) => t.name));
  const recent = await reader.recentAlertEvents(options.limit ?? 20);
  const outbox = (await reader.outbox()).map((e) => ({ id: e.id, channel: e.channel, subject: e.subject, attempts: e.attempts, lastError: e.lastError }));
  const now = deps.now();
  const waivers: AlertsListResult['waivers'] = [];
  for (const target of ws.config.targets) {
    for (const w of [...(await readWaivers(ws.ledger, tip, target.name)), ...configWaivers(ws.config, target.name)]) {
      if (isActive(w, now)) waivers.push({ target: target.name, id: w.id, keys: w.anyContent ? w.keys : w.covers.map((c) => c.key), until: w.until, by: w.by, reason: w.reason });
    }
  }
  waivers.sort((a, b) => (a.until < b.until ? -1 : a.until > b.until ? 1 : 0));
  return { open, waivers, recent, outbox };
}
