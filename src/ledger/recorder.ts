import path from 'node:path';
import { isDriftError } from '../errors.js';
import { OBSERVED_ONLY_KINDS, type Config, type TargetConfig } from '../config/config.js';
import type { TargetManifest } from '../drift/manifest.js';
import { classifyDeltas, reportDeltas, type DriftReport, type EntryError } from '../drift/report.js';
import { baselinePath, headPath, latestPath, newRecordId } from './layout.js';
import { LedgerWriter, type Ledger } from './ledger.js';
import { buildManifest, ShardMemo, type BuiltManifest } from './manifest-tree.js';
import { encodeRecord, personLine, type AcceptRecord, type SnapshotRecord, type TargetHead } from './records.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/**
 * The staging steps that init, snapshot, check and accept share: stage a target's snapshot,
 * report and accept commits on a LedgerWriter. Each step validates its record against the schema
 * and keeps `targets/<target>/head.json` in step. Observing the target is session/observe.ts.
 */
export const TOOL = { name: TOOL_NAME, version: TOOL_VERSION } as const;

/** What observing a target's sources yielded (see session/observe.ts). */
export interface Observation {
  manifest: TargetManifest;
  errors: EntryError[];
  sources: SnapshotRecord['sources'];
  /** Captured content named by entries' `blob` ids (see buildManifest). */
  blobs?: Map<string, Buffer>;
}

function headEdit(head: TargetHead): { path: string; blob: Buffer } {
  return { path: headPath(head.target), blob: encodeRecord('head', head) };
}

export interface StagedSnapshot {
  record: SnapshotRecord;
  built: BuiltManifest;
  commit: string;
}

/**
 * Writes the manifest objects and stages a snapshot commit that replaces `latest`. With `skip`,
 * asked once the manifest is built and before anything is written: when it answers true, nothing
 * is staged and only the built manifest is returned (a check that found nothing new).
 */
export async function stageSnapshot(cacheDir: string, writer: LedgerWriter, target: string, observation: Observation, time: Date, head: TargetHead, warn?: (message: string) => void): Promise<StagedSnapshot>;
export async function stageSnapshot(cacheDir: string, writer: LedgerWriter, target: string, observation: Observation, time: Date, head: TargetHead, warn: ((message: string) => void) | undefined, skip: (built: BuiltManifest) => Promise<boolean>): Promise<StagedSnapshot | { skipped: BuiltManifest }>;
export async function stageSnapshot(cacheDir: string, writer: LedgerWriter, target: string, observation: Observation, time: Date, head: TargetHead, warn?: (message: string) => void, skip?: (built: BuiltManifest) => Promise<boolean>): Promise<StagedSnapshot | { skipped: BuiltManifest }> {
  // Unchanged shards keep their ids without being encoded again (see ShardMemo).
  const memoFile = path.join(cacheDir, 'shards.memo');
  let memo = ShardMemo.load(memoFile, warn);
  let built = buildManifest(observation.manifest, memo, observation.blobs);
  if (skip && (await skip(built))) {
    memo.save(memoFile);
    return { skipped: built };
  }
  try {
    await writer.writeManifest(built, head.snapshot?.tree);
  } catch (error) {
    // A memo entry that passed its checksum but names other bytes: never write under it; rebuild.
    if (!isDriftError(error) || error.code !== 'OBJECT_ID_MISMATCH') throw error;
    warn?.(`shard memo ${memoFile} names objects that do not match their shards: discarded, every shard is encoded again`);
    memo = new ShardMemo();
    built = buildManifest(observation.manifest, memo, observation.blobs);
    await writer.writeManifest(built, head.snapshot?.tree);
  }
  memo.save(memoFile);
  const record: SnapshotRecord = {
    format: 1,
    kind: 'snapshot',
    id: newRecordId(time),
    target,
    time: time.toISOString(),
    tree: built.oid,
    sources: observation.sources,
    errors: observation.errors,
    tool: { ...TOOL },
  };
  const entries = observation.sources.reduce((sum, s) => sum + s.entries, 0);
  head.snapshot = { id: record.id, time: record.time, tree: built.oid, entries, errors: observation.errors.length };
  const commit = await writer.commit(
    [...(await writer.record(target, record.id, 'snapshot', record)), { path: latestPath(target), tree: built.oid }, headEdit(head)],
    `snapshot ${target}: ${entries} entries${observation.errors.length ? `, ${observation.errors.length} unreadable` : ''}`,
    { 'Drift-Target': target, 'Drift-Kind': 'snapshot', 'Drift-Record': record.id },
  );
  return { record, built, commit };
}

/** Computes the report of `snapshot` against the baseline (pure apart from reading the ledger). */
export async function computeReport(ledger: Ledger, config: Pick<Config, 'targets' | 'severity'>, target: string, time: Date, snapshot: StagedSnapshot, baselineTree: string | undefined, observation?: Observation): Promise<DriftReport> {
  const observed = observedOnlySources(config.targets.find((t) => t.name === target));
  const deltas = reportDeltas(await ledger.diff(baselineTree, snapshot.built.oid, snapshot.built), observed, (source) => observation?.manifest.get(source) ?? []);
  const { changes, summary, status } = classifyDeltas(target, deltas, config.severity);
  return {
    format: 1,
    kind: 'report',
    id: newRecordId(time),
    target,
    time: time.toISOString(),
    status,
    summary,
    changes,
    errors: snapshot.record.errors,
    baseline: { tree: baselineTree ?? null },
    snapshot: { id: snapshot.record.id, tree: snapshot.built.oid },
    severity: config.severity,
    ...(observed.size > 0 ? { observed: [...observed].sort() } : {}),
    tool: { ...TOOL },
  };
}

export async function stageReport(writer: LedgerWriter, report: DriftReport, head: TargetHead): Promise<string> {
  head.report = { id: report.id, time: report.time, status: report.status, highest: report.summary.highest, total: report.summary.total };
  head.checks = (head.checks ?? 0) + 1;
  const s = report.summary;
  const subject =
    report.status === 'clean'
      ? `report ${report.target}: clean`
      : `report ${report.target}: drift, ${s.total} change${s.total === 1 ? '' : 's'} (highest ${s.highest})`;
  return writer.commit([...(await writer.record(report.target, report.id, 'report', report)), headEdit(head)], subject, {
    'Drift-Target': report.target,
    'Drift-Kind': 'report',
    'Drift-Status': report.status,
    'Drift-Severity': s.highest,
    'Drift-Record': report.id,
  });
}

/** What an accept record says, before it has an id; the baseline trees it moves between. */
export interface AcceptInput extends Pick<AcceptRecord, 'target' | 'by' | 'reason' | 'scope' | 'keys' | 'snapshot' | 'changes'> {
  time: Date;
  baselineBefore: string | undefined;
  baselineAfter: string;
}

export async function stageAccept(writer: LedgerWriter, input: AcceptInput, head: TargetHead): Promise<AcceptRecord> {
  const record: AcceptRecord = {
    format: 1,
    kind: 'accept',
    id: newRecordId(input.time),
    target: input.target,
    time: input.time.toISOString(),
    by: input.by,
    reason: input.reason,
    scope: input.scope,
    keys: input.keys,
    snapshot: input.snapshot,
    baseline: { before: input.baselineBefore ?? null, after: input.baselineAfter },
    changes: input.changes,
    tool: { ...TOOL },
  };
  head.baseline = { accept: record.id, time: record.time, tree: input.baselineAfter, by: personLine(input.by) };
  const n = input.changes.length;
  await writer.commit(
    [...(await writer.record(input.target, record.id, 'accept', record)), { path: baselinePath(input.target), tree: input.baselineAfter }, headEdit(head)],
    `accept ${input.target}: ${n} ${n === 1 ? 'change' : 'changes'} by ${input.by.name}: ${firstLine(input.reason)}`,
    { 'Drift-Target': input.target, 'Drift-Kind': 'accept', 'Drift-Record': record.id, 'Drift-Actor': personLine(input.by) },
  );
  return record;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

/**
 * The manifest a baseline may hold: `manifest` without the sources whose entries are observed,
 * never baselined; undefined when those sources have no entries (the manifest can be used as is).
 */
export function withoutObserved(manifest: TargetManifest, observed: ReadonlySet<string>): TargetManifest | undefined {
  if (![...observed].some((source) => (manifest.get(source)?.size ?? 0) > 0)) return undefined;
  return new Map([...manifest].filter(([source]) => !observed.has(source)));
}

/** Names of a target's sources whose entries are observed, never baselined (metrics breaches). */
export function observedOnlySources(target: TargetConfig | undefined): Set<string> {
  return new Set((target?.sources ?? []).filter((s) => OBSERVED_ONLY_KINDS.has(s.kind)).map((s) => s.name));
}
