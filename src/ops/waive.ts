import type { DeliveryOutcome } from '../alerts/delivery.js';
import { loadAlerting, notify } from '../alerts/notify.js';
import { stageTargetAlerts } from '../alerts/state-store.js';
import type { Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { readWaivers, stageWaiver, type WaiverRecord } from '../ledger/loop-records.js';
import { readAlertsState, readHead, readLatestReport } from '../ledger/reader.js';
import { newRecordId } from '../ledger/layout.js';
import { createKeyMatcher } from '../match/glob.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import { configWaivers } from '../session/loop-hooks.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace, withLock } from '../session/workspace.js';
import { applyWaivers, coverOf, parseUntil } from '../drift/waivers.js';

export interface WaiveOptions extends ConfigOption {
  target?: string;
  /** Keys (or globs) of drifted entries to waive; empty with `all`. */
  keys: string[];
  all: boolean;
  /** Expiry: an ISO date or time, or a duration from now (7d). */
  until: string;
  reason: string;
  /** Cover the keys whatever their content (default: only the state observed now). */
  anyContent?: boolean;
}

export interface WaiveResult {
  target: string;
  record: WaiverRecord;
  waived: Change[];
  resolvedAlerts: number;
  deliveries: DeliveryOutcome[];
  branch: string;
  tip: string;
}

/**
 * Records a waiver: the drift of the named keys (or all of it) in the target's latest report is
 * excused until `until`. Alerts whose drift is now all waived resolve with reason `waived`.
 * Naming a key without drift is an error, except with `anyContent` (which waives keys, not states).
 */
export async function waive(deps: OpDeps, options: WaiveOptions): Promise<WaiveResult> {
  const reason = options.reason?.trim();
  if (!reason) throw new DriftError('REASON_REQUIRED', 'waive needs --reason TEXT: the ledger records why the drift is excused', {});
  if (!options.all && options.keys.length === 0) throw new DriftError('KEYS_REQUIRED', 'name the entries to waive (waive KEY...), or waive all drift with --all', {});
  if (options.all && options.keys.length > 0) throw new DriftError('KEYS_AND_ALL', 'give either KEY... or --all, not both', {});
  const now = deps.now();
  if (!options.until) throw new DriftError('UNTIL_REQUIRED', 'waive needs --until DATE (2026-12-31, an ISO time, or a duration such as 14d): every waiver expires', {});
  const until = parseUntil(options.until, now);
  if (!until) throw new DriftError('BAD_UNTIL', `--until "${options.until}" is not a date: write 2026-12-31 (the end of that day, UTC), an ISO time, or a duration such as 14d`, { data: { until: options.until } });
  if (until.getTime() <= now.getTime()) throw new DriftError('BAD_UNTIL', `--until ${until.toISOString()} is in the past: a waiver must expire later than now (${now.toISOString()})`, { data: { until: until.toISOString() } });
  const ws = openWorkspace(deps, options);
  const targetConfig = singleTarget(ws.config, options.target);
  const target = targetConfig.name;
  const alerting = await loadAlerting(ws.config, deps);
  return withLock(ws, deps, 'waive', async () => {
    const base = await ws.ledger.requireTip();
    const head = await readHead(ws.ledger, base, target);
    const report = head.report ? await readLatestReport(ws.ledger, base, target) : undefined;
    if (!report) throw new DriftError('NO_REPORT', `target "${target}" has no report yet: run "driftctl check" first, then waive the drift it shows`, { data: { target } });
    const matchers = options.keys.map((key) => ({ key, match: createKeyMatcher([key]) }));
    const selected = options.all ? report.changes : report.changes.filter((c) => matchers.some(({ key, match }) => c.key === key || match(c.key)));
    const unmatched = matchers.filter(({ key, match }) => !report.changes.some((c) => c.key === key || match(c.key)));
    if (!options.anyContent && unmatched.length > 0) {
      throw new DriftError('KEY_NOT_DRIFTED', `no drift to waive for ${unmatched.map((u) => `"${u.key}"`).join(', ')} in target "${target}" (see "driftctl diff"; --any-content waives keys before they drift)`, { data: { keys: unmatched.map((u) => u.key) } });
    }
    if (selected.length === 0 && !options.anyContent) throw new DriftError('NOTHING_TO_WAIVE', `target "${target}" has no drift to waive in its latest report`, { data: { target } });
    const actor = await resolveActor(ws, deps);
    const writer = ws.ledger.writer(base, signatureAt(actor, now));
    const current = await readWaivers(ws.ledger, base, target);
    const record = await stageWaiver(
      writer,
      {
        id: newRecordId(now),
        target,
        time: now.toISOString(),
        by: actor,
        reason,
        until: until.toISOString(),
        scope: options.all ? 'all' : 'keys',
        keys: options.all ? (options.anyContent ? ['**'] : []) : options.keys,
        anyContent: options.anyContent === true,
        covers: selected.map(coverOf),
        report: report.id,
      },
      current,
      now,
    );
    // The drift that still alerts once this waiver (and those before it) is counted.
    const all = [...current, ...configWaivers(ws.config, target), { id: record.id, by: '', reason, until: record.until, keys: record.keys, anyContent: record.anyContent, covers: record.covers }];
    const { drift, waived } = applyWaivers(report.changes, all, now);
    const state = await readAlertsState(ws.ledger, base, target);
    const staged = await stageTargetAlerts(ws.config, alerting.channels, writer, state, { target: targetConfig, changes: drift, waived: waived.map((w) => w.change), reportId: report.id, firstCheck: true, reason: 'waived' }, now, { ledger: ws.ledger, commit: base });
    const { deliveries } = await notify(alerting, { ledger: ws.ledger, base, writer }, staged.notices, now);
    const tip = (await writer.publish()) as string;
    return { target, record, waived: selected, resolvedAlerts: staged.events.filter((e) => e.event === 'resolved').length, deliveries, branch: ws.config.ledger.branch, tip };
  });
}
