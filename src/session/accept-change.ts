import type { Channel } from '../channels/channel.js';
import type { TargetConfig } from '../config/config.js';
import type { ManifestEntry } from '../drift/manifest.js';
import { classifyDeltas, reportDeltas, type Change } from '../drift/report.js';
import { DriftError } from '../errors.js';
import type { LedgerWriter } from '../ledger/ledger.js';
import { buildManifest, type BuiltManifest } from '../ledger/manifest-tree.js';
import { readAlertsState, readHead } from '../ledger/reader.js';
import { observedOnlySources, stageAccept, withoutObserved } from '../ledger/recorder.js';
import type { AcceptRecord } from '../ledger/records.js';
import { createKeyMatcher } from '../match/glob.js';
import type { DeliveryOutcome } from '../alerts/delivery.js';
import { stageTargetAlerts } from '../alerts/state-store.js';
import type { AlertNotice } from '../render/views.js';
import { resolveActor, signatureAt } from './actor.js';
import type { ConfigOption, OpDeps } from './deps.js';
import type { Workspace } from './workspace.js';

/**
 * What a direct accept (ops/accept.ts) and an accept through a pull request (ops/accept-pr.ts)
 * share: their options and result, and staging the accept change on top of a base commit.
 */
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

export interface StagedAcceptChange {
  writer: LedgerWriter;
  time: Date;
  record: AcceptRecord;
  accepted: Change[];
  /** Changes between the new baseline and the latest snapshot that stay open. */
  remaining: Change[];
  resolvedAlerts: number;
  /** Notices of the alert events, not rendered or delivered yet (see alerts/notify.ts). */
  notices: AlertNotice[];
}

/**
 * Stages, on top of `base`, the accept commit (record + new baseline) and the alert commit that
 * resolves the accepted drift, exactly as the direct accept does; nothing is published or
 * delivered. Returns undefined when the baseline already equals the latest snapshot.
 */
export async function stageAcceptChange(
  ws: Workspace,
  deps: OpDeps,
  input: { targetConfig: TargetConfig; channels: Channel[]; base: string; options: AcceptOptions; reason: string },
): Promise<StagedAcceptChange | undefined> {
  const { targetConfig, channels, base, options, reason } = input;
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
  const staged = await stageTargetAlerts(ws.config, channels, writer, state, { target: targetConfig, changes: remaining, reportId: head.report?.id ?? null, firstCheck: true, reason: 'accepted' }, time, { ledger: ws.ledger, commit: base });
  return { writer, time, record, accepted: selected, remaining, resolvedAlerts: staged.events.filter((e) => e.event === 'resolved').length, notices: staged.notices };
}
