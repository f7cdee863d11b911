import type { ManifestEntry } from '../drift/manifest.js';
import { classifyDeltas, type Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { buildManifest } from '../ledger/manifest-tree.js';
import type { AcceptRecord } from '../ledger/records.js';
import { createKeyMatcher } from '../match/glob.js';
import type { ConfigOption, OpDeps } from './deps.js';
import { readHead, stageAccept } from './record-steps.js';
import { loadAlerting } from './alerting.js';
import { openWorkspace, resolveActor, signatureAt, singleTarget, withLock } from './workspace.js';
import { deliverWithOutbox, readAlertsState, renderNotices, stageTargetAlerts, type DeliveryOutcome } from '../alerts/alert-engine.js';

export interface AcceptOptions extends ConfigOption {
  target?: string;
  /** Entry keys (or globs) whose latest state becomes the baseline; empty with `all`. */
  keys: string[];
  all: boolean;
  reason: string;
}

export interface AcceptResult {
  target: string;
  status: 'accepted' | 'nothing-to-accept';
  record?: AcceptRecord;
  accepted: Change[];
  /** Changes between the new baseline and the latest snapshot that stay open. */
  remaining: number;
  /** Alerts resolved because their drift was accepted. */
  resolvedAlerts: number;
  deliveries: DeliveryOutcome[];
  branch: string;
  tip: string;
}

/**
 * Makes the latest snapshot (or the named entries of it) the new baseline of a target, in an
 * accept commit that records who and why. Naming a key that has no drift is an error.
 */
export async function accept(deps: OpDeps, options: AcceptOptions): Promise<AcceptResult> {
  const reason = options.reason?.trim();
  if (!reason) throw new DriftError('REASON_REQUIRED', 'accept needs --reason TEXT: the ledger records why the baseline changed', {});
  if (!options.all && options.keys.length === 0) throw new DriftError('KEYS_REQUIRED', 'name the entries to accept (accept KEY...), or accept everything with --all', {});
  if (options.all && options.keys.length > 0) throw new DriftError('KEYS_AND_ALL', 'give either KEY... or --all, not both', {});
  const ws = openWorkspace(deps, options);
  const targetConfig = singleTarget(ws.config, options.target);
  const target = targetConfig.name;
  const alerting = await loadAlerting(ws, deps);

  return withLock(ws, deps, 'accept', async () => {
    const base = await ws.ledger.requireTip();
    const head = await readHead(ws.ledger, base, target);
    if (!head.baseline || !head.snapshot) {
      throw new DriftError('NO_BASELINE', `target "${target}" has no baseline yet (run "driftctl init" to record one)`, { data: { target } });
    }
    const baselineTree = head.baseline.tree;
    const latestTree = head.snapshot.tree;
    const deltas = await ws.ledger.diff(baselineTree, latestTree);
    const { changes } = classifyDeltas(target, deltas, ws.config.severity);

    let selected = changes;
    let newBaseline = latestTree;
    if (!options.all) {
      const matchers = options.keys.map((key) => ({ key, match: createKeyMatcher([key]) }));
      const unmatched = matchers.filter(({ key, match }) => !changes.some((c) => c.key === key || match(c.key)));
      if (unmatched.length > 0) {
        throw new DriftError(
          'KEY_NOT_DRIFTED',
          `no drift to accept for ${unmatched.map((u) => `"${u.key}"`).join(', ')} in target "${target}" (see "driftctl diff" for what drifted)`,
          { data: { keys: unmatched.map((u) => u.key) } },
        );
      }
      selected = changes.filter((c) => matchers.some(({ key, match }) => c.key === key || match(c.key)));
      const manifest = await ws.ledger.readManifest(baselineTree);
      for (const change of selected) {
        let entries = manifest.get(change.source);
        if (!entries) manifest.set(change.source, (entries = new Map<string, ManifestEntry>()));
        if (change.after) entries.set(change.key, change.after);
        else entries.delete(change.key);
      }
      const built = buildManifest(manifest);
      newBaseline = built.oid;
      const time = deps.now();
      const writer = ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), time));
      await writer.writeManifest(`${target}.baseline`, built, undefined);
      return finish(writer, time);
    }
    if (selected.length === 0 && newBaseline === baselineTree) {
      return { target, status: 'nothing-to-accept', accepted: [], remaining: 0, resolvedAlerts: 0, deliveries: [], branch: ws.config.ledger.branch, tip: base };
    }
    const time = deps.now();
    return finish(ws.ledger.writer(base, signatureAt(await resolveActor(ws, deps), time)), time);

    async function finish(writer: ReturnType<typeof ws.ledger.writer>, time: Date): Promise<AcceptResult> {
      const actor = await resolveActor(ws, deps);
      const record = await stageAccept(
        writer,
        {
          target,
          time,
          by: actor,
          reason: reason as string,
          scope: options.all ? 'all' : 'keys',
          keys: options.all ? [] : options.keys,
          snapshot: { id: head.snapshot?.id ?? null, tree: latestTree },
          baselineBefore: baselineTree,
          baselineAfter: newBaseline,
          changes: selected,
        },
        head,
      );
      // Alerts whose drift is now part of the baseline resolve (reason: accepted); nothing new opens.
      const remainingChanges = changes.filter((c) => !selected.includes(c));
      const state = await readAlertsState(ws.ledger, base, target);
      const staged = await stageTargetAlerts(ws.config, alerting.channels, writer, state, { target: targetConfig, changes: remainingChanges, reportId: head.report?.id ?? null, firstCheck: true, reason: 'accepted' }, time);
      const { payloads, failures } = renderNotices(alerting.channels, alerting.templates, staged.notices, time.toISOString());
      const deliveries = [...failures, ...(await deliverWithOutbox(ws.ledger, base, writer, alerting.channels, payloads, alerting.delivery, time))];
      const tip = (await writer.publish()) as string;
      return { target, status: 'accepted', record, accepted: selected, remaining: remainingChanges.length, resolvedAlerts: staged.events.filter((e) => e.event === 'resolved').length, deliveries, branch: ws.config.ledger.branch, tip };
    }
  });
}
