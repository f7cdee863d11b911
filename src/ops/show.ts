import { DriftError } from '../errors.js';
import { personLine } from '../ledger/records.js';
import { indexedHistory } from '../ledger/commit-index.js';
import { isRecordId, recordPath, type RecordKind } from '../ledger/layout.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { describeCommit, describeCommitParts } from '../ledger/history.js';
import { resolveRevision } from '../ledger/points.js';
import { openWorkspace, type Workspace } from '../session/workspace.js';
import { contentDiffs, withDiffs, type ShownChange } from '../session/change-content.js';
import type { DriftReport } from '../drift/report.js';

export interface ShownRecord {
  path: string;
  kind: RecordKind;
  record: Record<string, unknown>;
  /** A report's changes with their content `diff` (baseline tree → snapshot tree), unless content is off. */
  changes?: ShownChange[];
}

export interface ShowOptions extends ConfigOption {
  id: string;
  target?: string;
  /** Add content diffs to a report's changes (default true). */
  content?: boolean;
  /** Lines of context in content diffs (default 3). */
  context?: number;
}

export interface ShowResult {
  /** The ledger commit that added the record, or the commit asked for. */
  commit: { oid: string; time: string; kind: string; target: string | null; subject: string; author: string; trailers: Record<string, string> };
  /** The record asked for, or every record the commit added. */
  records: ShownRecord[];
  /** For a report: the snapshot it compared and the baseline's accept; for an accept: the report it followed. */
  context: Record<string, unknown>;
}

/** One record (by id) or one ledger commit (by id, prefix, ref or date) with its context. Read-only. */
export async function show(deps: OpDeps, options: ShowOptions): Promise<ShowResult> {
  const result = await showRecords(deps, options);
  if (options.content === false) return result;
  const ws = openWorkspace(deps, options);
  for (const shown of result.records) {
    if (shown.kind !== 'report') continue;
    const report = shown.record as unknown as DriftReport;
    if (!Array.isArray(report.changes) || report.changes.length === 0) continue;
    const diffs = await contentDiffs(ws.ledger.reader(), report.changes, { before: report.baseline?.tree, after: report.snapshot?.tree }, { context: options.context });
    shown.changes = withDiffs(report, diffs).changes;
  }
  return result;
}

async function showRecords(deps: OpDeps, options: ShowOptions): Promise<ShowResult> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const history = await indexedHistory(ws.store, ws.ledger.branch, tip);
  if (isRecordId(options.id)) {
    const found = await findRecord(ws, tip, options.id, options.target);
    const added = history.find((c) => c.records.includes(options.id));
    const commit = added ?? history[history.length - 1];
    return { commit: commitView(describeCommit(commit)), records: [found], context: await contextOf(ws, tip, found) };
  }
  const oid = await resolveRevision(ws.ledger, options.id);
  const entry = history.find((c) => c.oid === oid);
  if (!entry) throw new DriftError('UNKNOWN_POINT', `${options.id} is not a commit of the ledger branch`, { data: { spec: options.id } });
  const described = describeCommit(entry);
  const records: ShownRecord[] = [];
  // Every operation of the commit (a check commit holds a snapshot, a report, alert events…).
  for (const part of describeCommitParts(entry)) {
    const kind = part.kind as RecordKind;
    if (!part.target || !['snapshot', 'report', 'accept', 'alert'].includes(kind)) continue;
    for (const id of part.records) {
      const path = recordPath(part.target, id, kind);
      const record = await ws.ledger.readJson<Record<string, unknown>>(oid, path);
      if (record) records.push({ path, kind, record });
    }
  }
  return { commit: commitView(described), records, context: records[0] ? await contextOf(ws, tip, records[0]) : {} };
}

async function findRecord(ws: Workspace, tip: string, id: string, target: string | undefined): Promise<ShownRecord> {
  const targets = target ? [target] : await ws.ledger.targetsAt(tip);
  for (const t of targets) {
    for (const kind of ['report', 'snapshot', 'accept', 'alert', 'waiver', 'remediation', 'restore'] as RecordKind[]) {
      const path = recordPath(t, id, kind);
      const record = await ws.ledger.readJson<Record<string, unknown>>(tip, path);
      if (record) return { path, kind, record };
    }
  }
  throw new DriftError('UNKNOWN_POINT', `no record "${id}" on the ledger (see "driftctl log")`, { data: { id } });
}

async function contextOf(ws: Workspace, tip: string, shown: ShownRecord): Promise<Record<string, unknown>> {
  const r = shown.record as { target: string; snapshot?: { id: string | null; tree: string | null }; baseline?: { tree?: string | null; before?: string | null; after?: string }; alert?: string };
  if (shown.kind === 'report') {
    const snapshot = r.snapshot?.id ? await ws.ledger.readJson(tip, recordPath(r.target, r.snapshot.id, 'snapshot')) : null;
    return { snapshot, baselineTree: r.baseline?.tree ?? null };
  }
  if (shown.kind === 'accept') {
    const snapshot = r.snapshot?.id ? await ws.ledger.readJson(tip, recordPath(r.target, r.snapshot.id, 'snapshot')) : null;
    return { snapshot, baselineBefore: r.baseline?.before ?? null, baselineAfter: r.baseline?.after ?? null };
  }
  return {};
}

function commitView(entry: ReturnType<typeof describeCommit>): ShowResult['commit'] {
  return {
    oid: entry.commit.oid,
    time: new Date(entry.time).toISOString(),
    kind: entry.kind,
    target: entry.target,
    subject: entry.commit.message.split('\n')[0],
    author: personLine(entry.commit.author),
    trailers: entry.trailers,
  };
}
