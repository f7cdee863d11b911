import { DriftError } from '../errors.js';
import { indexedHistory } from './commit-index.js';
import { isRecordId, recordPath, type RecordKind } from './layout.js';
import type { Ledger } from './ledger.js';
import type { AcceptRecord, DriftReport, SnapshotRecord } from './records.js';

/** A resolved ledger point: the target manifest tree it denotes (undefined: empty). */
export interface LedgerPoint {
  spec: string;
  tree: string | undefined;
  /** The ledger commit the point was read at. */
  commit: string;
}

/**
 * Resolves a point of the ledger for one target:
 * `baseline`, `latest` (at the tip), `baseline@REV`, `latest@REV` (at a ledger commit),
 * a record id (snapshot: what it observed; report: the snapshot it compared; accept: the baseline
 * it made), or a bare REV (the latest snapshot at that commit). REV is a commit id or prefix, a
 * ref name, optionally followed by `~N` (N first parents back), or a date (`2026-01-31`: the ledger
 * at the end of that UTC day) or an ISO time (`2026-01-31T12:00:00Z`).
 */
export async function resolvePoint(ledger: Ledger, tip: string, target: string, spec: string): Promise<LedgerPoint> {
  const at = /^(baseline|latest)(?:@(.+))?$/.exec(spec);
  if (at) {
    const commit = at[2] ? await resolveRevision(ledger, at[2]) : tip;
    const tree = at[1] === 'baseline' ? await ledger.baselineTree(commit, target) : await ledger.latestTree(commit, target);
    if (!tree && at[1] === 'baseline' && !at[2]) {
      throw new DriftError('NO_BASELINE', `target "${target}" has no baseline yet (run "driftctl init" to record one)`, { data: { target } });
    }
    return { spec, tree, commit };
  }
  if (isRecordId(spec)) {
    for (const kind of ['snapshot', 'report', 'accept'] as RecordKind[]) {
      const record = await ledger.readJson<SnapshotRecord | DriftReport | AcceptRecord>(tip, recordPath(target, spec, kind));
      if (!record) continue;
      if (record.kind === 'snapshot') return { spec, tree: record.tree, commit: tip };
      if (record.kind === 'report') return { spec, tree: record.snapshot.tree ?? undefined, commit: tip };
      return { spec, tree: record.baseline.after, commit: tip };
    }
    throw new DriftError('UNKNOWN_POINT', `no record "${spec}" for target "${target}" on the ledger (see "driftctl log")`, { data: { spec, target } });
  }
  const commit = await resolveRevision(ledger, spec);
  return { spec, tree: await ledger.latestTree(commit, target), commit };
}

export async function resolveRevision(ledger: Ledger, rev: string): Promise<string> {
  // A date (the ledger as it stood at the end of that UTC day) or an ISO time (at that instant).
  const date = /^\d{4}-\d{2}-\d{2}$/.test(rev) ? Date.parse(`${rev}T23:59:59.999Z`) : /^\d{4}-\d{2}-\d{2}T/.test(rev) ? Date.parse(rev) : undefined;
  if (date !== undefined) {
    if (!Number.isFinite(date)) throw new DriftError('UNKNOWN_POINT', `"${rev}" is not a valid date or time`, { data: { spec: rev } });
    const tip = await ledger.requireTip();
    const commits = await indexedHistory(ledger.store, ledger.branch, tip);
    for (let i = commits.length - 1; i >= 0; i--) if (commits[i].time * 1000 <= date) return commits[i].oid;
    throw new DriftError('UNKNOWN_POINT', `the ledger has no commit at or before ${rev}`, { data: { spec: rev } });
  }
  const m = /^(.*?)(?:~(\d+))?$/.exec(rev) as RegExpExecArray;
  const name = m[1];
  let back = m[2] ? Number(m[2]) : 0;
  let commit: string | undefined;
  if (/^[0-9a-f]{4,40}$/i.test(name)) commit = await ledger.store.expandOid(name.toLowerCase());
  commit ??= await ledger.store.resolveRef(name === ledger.branch ? ledger.ref : name);
  if (!commit) {
    throw new DriftError('UNKNOWN_POINT', `"${rev}" is not a ledger point (use baseline, latest, a record id, or a ledger commit; see "driftctl log")`, { data: { spec: rev } });
  }
  let current: string = commit;
  while (back-- > 0) {
    const parents: string[] = (await ledger.store.readCommit(current)).parents;
    if (parents.length === 0) throw new DriftError('UNKNOWN_POINT', `"${rev}" goes back past the first ledger commit`, { data: { spec: rev } });
    current = parents[0];
  }
  return current;
}
