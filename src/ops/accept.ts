import type { ManifestEntry } from '../drift/manifest.js';
import { classifyDeltas, reportDeltas, type Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import { buildManifest } from '../ledger/manifest-tree.js';
import type { AcceptRecord } from '../ledger/records.js';
import { createKeyMatcher } from '../match/glob.js';
import type { ConfigOption, OpDeps } from './deps.js';
import { observedOnlySources, readHead, stageAccept, withoutObserved } from './record-steps.js';
import { loadAlerting, type Alerting } from './alerting.js';
import { openWorkspace, resolveActor, signatureAt, singleTarget, withLock, type Workspace } from './workspace.js';
import type { Config, TargetConfig } from '../config/config.js';
import type { LedgerWriter } from '../ledger/ledger.js';
import type { BuiltManifest } from '../ledger/manifest-tree.js';
import type { Payload } from '../channels/channel.js';
import { deliverWithOutbox, readAlertsState, renderNotices, stageTargetAlerts, type DeliveryOutcome } from '../alerts/alert-engine.js';

export interface AcceptOptions extends ConfigOption {
  target?: string;
  /** Entry keys (or globs) whose latest state becomes the baseline; empty with `all`. */
  keys: string[];
  all: boolean;
  reason: string;
  /** Propose the accept as a pull request (README "Accepting through pull requests"). */
  pr?: boolean;
  /** Commit the accept to the local ledger branch even when `github:` is configured. */
  direct?: boolean;
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
  /** The ledger branch; with a pull request, the pull request's branch. */
  branch: string;
  tip: string;
  /** Set when the accept was proposed as a pull request into the ledger branch `base`. */
  pullRequest?: { number: number; url: string; action: 'created' | 'updated' };
  base?: string;
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

  if (wantsPullRequest(ws.config, options)) {
    const { acceptViaPullRequest } = await import('./accept-pr.js');
    return acceptViaPullRequest(deps, options, { ws, targetConfig, alerting, reason });
  }

  return withLock(ws, deps, 'accept', async () => {
    const base = await ws.ledger.requireTip();
    const staged = await stageAcceptChange(ws, deps, { targetConfig, alerting, base, options, reason });
    if (!staged) return { target, status: 'nothing-to-accept', accepted: [], remaining: 0, resolvedAlerts: 0, deliveries: [], branch: ws.config.ledger.branch, tip: base };
    const deliveries = [...staged.failures, ...(await deliverWithOutbox(ws.ledger, base, staged.writer, alerting.channels, staged.payloads, alerting.delivery, staged.time, ws.config.alerts.outbox))];
    const tip = (await staged.writer.publish()) as string;
    return { target, status: 'accepted', record: staged.record, accepted: staged.accepted, remaining: staged.remaining.length, resolvedAlerts: staged.resolvedAlerts, deliveries, branch: ws.config.ledger.branch, tip };
  });
}

/**
 * Pull requests are used with `--pr`, or by default when `github:` is configured; `--direct`
 * always commits the accept to the local ledger branch.
 */
export function wantsPullRequest(config: Config, options: Pick<AcceptOptions, 'pr' | 'direct'>): boolean {
  if (options.pr && options.direct) throw new DriftError('PR_AND_DIRECT', 'give either --pr or --direct, not both', {});
  if (options.direct) return false;
  return options.pr === true || config.github !== undefined;
}

export interface StagedAcceptChange {
  writer: LedgerWriter;
  time: Date;
  record: AcceptRecord;
  accepted: Change[];
  /** Changes between the new baseline and the latest snapshot that stay open. */
  remaining: Change[];
  resolvedAlerts: number;
  /** Rendered notices of the alert events (not delivered yet), and those whose template failed. */
  payloads: Payload[];
  failures: DeliveryOutcome[];
}

/**
 * Stages, on top of `base`, the accept commit (record + new baseline) and the alert commit that
 * resolves the accepted drift, exactly as the direct accept does; nothing is published or
 * delivered. Returns undefined when the baseline already equals the latest snapshot.
 */
export async function stageAcceptChange(
  ws: Workspace,
  deps: OpDeps,
  input: { targetConfig: TargetConfig; alerting: Alerting; base: string; options: AcceptOptions; reason: string },
): Promise<StagedAcceptChange | undefined> {
  const { targetConfig, alerting, base, options, reason } = input;
  const target = targetConfig.name;
  const head = await readHead(ws.ledger, base, target);
  if (!head.baseline || !head.snapshot) {
    throw new DriftError('NO_BASELINE', `target "${target}" has no baseline yet (run "driftctl init" to record one)`, { data: { target } });
  }
  const baselineTree = head.baseline.tree;
  const latestTree = head.snapshot.tree;
  // Observed-only sources (metrics breaches) are never part of a baseline, so never accepted:
  // their entries stay drift (and their alerts open) until the values recover.
  const observed = observedOnlySources(targetConfig);
  const latestManifest = observed.size > 0 ? await ws.ledger.readManifest(latestTree) : undefined;
  const deltas = reportDeltas(await ws.ledger.diff(baselineTree, latestTree), observed, (source) => latestManifest?.get(source) ?? []);
  const classified = classifyDeltas(target, deltas, ws.config.severity).changes;
  const changes = classified.filter((c) => !observed.has(c.source));
  const observedChanges = classified.filter((c) => observed.has(c.source));

  let selected = changes;
  let newBaseline = latestTree;
  let built: BuiltManifest | undefined;
  const trimmed = options.all && latestManifest ? withoutObserved(latestManifest, observed) : undefined;
  if (trimmed) {
    built = buildManifest(trimmed);
    newBaseline = built.oid;
    if (selected.length === 0 && newBaseline === baselineTree) return undefined;
  } else if (!options.all) {
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
    // The entries as stored (reports omit structured content), so the new baseline keeps them whole.
    const stored = new Map(deltas.map((d) => [`${d.source}\u0000${d.key}`, d.after]));
    for (const change of selected) {
      let entries = manifest.get(change.source);
      if (!entries) manifest.set(change.source, (entries = new Map<string, ManifestEntry>()));
      const after = stored.get(`${change.source}\u0000${change.key}`);
      if (after) entries.set(change.key, after);
      else entries.delete(change.key);
    }
    built = buildManifest(manifest);
    newBaseline = built.oid;
  } else if (selected.length === 0 && newBaseline === baselineTree) {
    return undefined;
  }
  const time = deps.now();
  const actor = await resolveActor(ws, deps);
  const writer = ws.ledger.writer(base, signatureAt(actor, time));
  if (built) await writer.writeManifest(built);
  const record = await stageAccept(
    writer,
    {
      target,
      time,
      by: actor,
      reason,
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
  const remaining = [...changes.filter((c) => !selected.includes(c)), ...observedChanges];
  const state = await readAlertsState(ws.ledger, base, target);
  const staged = await stageTargetAlerts(ws.config, alerting.channels, writer, state, { target: targetConfig, changes: remaining, reportId: head.report?.id ?? null, firstCheck: true, reason: 'accepted' }, time, { ledger: ws.ledger, commit: base });
  const { payloads, failures } = renderNotices(alerting.channels, alerting.templates, staged.notices, time.toISOString());
  return { writer, time, record, accepted: selected, remaining, resolvedAlerts: staged.events.filter((e) => e.event === 'resolved').length, payloads, failures };
}
