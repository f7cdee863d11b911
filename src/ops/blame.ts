import { sameEntry, type ManifestEntry } from '../drift/manifest.js';
import { personLine } from '../ledger/records.js';
import { changeDetails, describeDelta, stripEntry } from '../drift/report.js';
import { indexedHistory } from '../ledger/commit-index.js';
import { baselinePath, latestPath } from '../ledger/layout.js';
import { lookupEntry } from '../ledger/manifest-tree.js';
import { readEntryRecord } from '../ledger/reader.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { describeCommitParts } from '../ledger/history.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace } from '../session/workspace.js';
import { contentDiffs } from '../session/change-content.js';
import type { ContentDiff } from '../drift/content-diff.js';
import type { Attribution } from '../drift/attribution.js';

export interface BlameEvent {
  commit: string;
  time: string;
  kind: 'snapshot' | 'accept';
  record: string | null;
  /** What happened to the entry: first seen, changed, removed (in the observed state or the baseline). */
  change: 'added' | 'changed' | 'removed';
  /** The entry as stored, without structured content. */
  entry: ManifestEntry | null;
  /** What differs from the previous state of the same kind: fields of structured content, files of a group. */
  details: string[];
  by?: string;
  reason?: string;
  /** The unified diff of the entry's content from the previous state of the same kind (captured files, values, pairs). */
  diff?: ContentDiff;
  /** Snapshots: who made the change, as the report of that check recorded it. */
  attribution?: Attribution;
}

export interface BlameOptions extends ConfigOption {
  key: string;
  source?: string;
  target?: string;
  /** Add content diffs to the events (default true). */
  content?: boolean;
  /** Lines of context in content diffs (default 3). */
  context?: number;
}

export interface BlameResult {
  target: string;
  source: string;
  key: string;
  events: BlameEvent[];
}

/**
 * The history of one entry, oldest first: every snapshot in which its observed content changed
 * and every accept that changed its baseline. Reads, per commit, only the trees on the key's path,
 * and parses a shard only when its object id changed.
 */
export async function blame(deps: OpDeps, options: BlameOptions): Promise<BlameResult> {
  const ws = openWorkspace(deps, options);
  const target = singleTarget(ws.config, options.target);
  const source = options.source ?? target.sources[0]?.name ?? 'files';
  const tip = await ws.ledger.requireTip();
  const reader = ws.ledger.reader();
  const events: BlameEvent[] = [];
  const last: Record<'snapshot' | 'accept', { shard: string | undefined; entry: ManifestEntry | undefined }> = {
    snapshot: { shard: undefined, entry: undefined },
    accept: { shard: undefined, entry: undefined },
  };
  // The snapshot event waiting for a report of its content, which holds its attribution (a
  // `snapshot` command records no report: the next check's report tells).
  let pending: BlameEvent | undefined;
  for (const commit of await indexedHistory(ws.store, ws.ledger.branch, tip)) {
    for (const h of describeCommitParts(commit)) {
    // A check's report comes after its snapshot (in the same commit since format 2's grouped checks).
    if (h.target === target.name && h.kind === 'report' && pending) {
      const report = await readEntryRecord(ws.ledger, h, 'report');
      const change = report?.changes.find((c) => c.source === source && c.key === options.key);
      if (change && (change.after ?? null)?.sha256 === pending.entry?.sha256) {
        if (change.attribution) pending.attribution = change.attribution;
        pending = undefined;
      } else if (!change) pending = undefined;
      continue;
    }
    if (h.target !== target.name || (h.kind !== 'snapshot' && h.kind !== 'accept')) continue;
    const kind = h.kind;
    const manifest = await ws.ledger.treeAt(commit.oid, kind === 'snapshot' ? latestPath(target.name) : baselinePath(target.name));
    const previous = last[kind];
    const found = await lookupEntry(reader, manifest, source, options.key);
    last[kind] = found;
    if (found.shard === previous.shard) continue;
    const before = previous.entry;
    const after = found.entry;
    if (before && after && sameEntry(before, after)) continue;
    if (!before && !after) continue;
    const event: BlameEvent = {
      commit: commit.oid,
      time: new Date(h.time).toISOString(),
      kind,
      record: h.records[0] ?? null,
      change: !before ? 'added' : !after ? 'removed' : 'changed',
      entry: after ? stripEntry(after) : null,
      details: before && after ? entryDetails(source, options.key, before, after) : [],
    };
    if (options.content !== false) {
      const diffs = await contentDiffs(reader, [{ source, key: options.key, change: event.change, severity: 'info', rule: '', ...(before ? { before } : {}), ...(after ? { after } : {}) }], { before: null, after: null }, { context: options.context });
      const diff = diffs.values().next().value;
      if (diff) event.diff = diff;
    }
    if (kind === 'snapshot') pending = event;
    if (kind === 'accept' && h.records[0]) {
      const record = await readEntryRecord(ws.ledger, h, 'accept');
      if (record) {
        event.by = personLine(record.by);
        event.reason = record.reason;
      }
    }
    events.push(event);
    }
  }
  return { target: target.name, source, key: options.key, events };
}

/** The one-line details a report would give for this entry going from `before` to `after`. */
function entryDetails(source: string, key: string, before: ManifestEntry, after: ManifestEntry): string[] {
  const detail = describeDelta({ before, after });
  const fields = detail.fields?.map((f) => ({ ...f, severity: 'info' as const, rule: '' }));
  return changeDetails({ source, key, change: 'changed', severity: 'info', rule: '', ...(fields ? { fields } : {}), ...(detail.files ? { files: detail.files } : {}), ...(detail.actions ? { actions: detail.actions } : {}) }, 5);
}
