import type { ActiveWaiver, WaiverCover } from '../drift/waivers.js';
import { isActive } from '../drift/waivers.js';
import { remediationsPath, waiversPath } from './layout.js';
import type { Ledger, LedgerWriter } from './ledger.js';
import { encodeRecord, personLine, type ChainRef, type Person } from './records.js';
import { TOOL } from './recorder.js';

/**
 * The records that close the loop (waive, remediate, restore) and the small state files beside
 * them. Each is staged through LedgerWriter.record (schema, hash chain) in one commit of its own;
 * ledger/FORMAT.md documents them. Nothing here observes or touches the watched files.
 */
/** The fields every record of this file starts with. */
interface LoopRecordHeader<K extends string> {
  format: 1;
  kind: K;
  chain?: ChainRef;
  id: string;
  target: string;
  time: string;
  by: Person;
  tool: { name: string; version: string };
}

export interface WaiverRecord extends LoopRecordHeader<'waiver'> {
  reason: string;
  until: string;
  scope: 'all' | 'keys';
  keys: string[];
  anyContent: boolean;
  covers: WaiverCover[];
  report: string | null;
}

/** `targets/<t>/waivers.json`. */
export interface WaiversState {
  format: 1;
  kind: 'waivers';
  target: string;
  waivers: ActiveWaiver[];
}

export interface RemediationRecord extends LoopRecordHeader<'remediation'> {
  trigger: 'command' | 'policy';
  policy: string | null;
  command: { argv: string[]; shell: boolean; exec: string[]; from: string };
  keys: string[];
  drift: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
  outcome: 'fixed' | 'partly-fixed' | 'failed';
  remaining: number;
  report: string | null;
}

/** `targets/<t>/remediations.json`: failed attempts for the drift `drift` (reset when the drift differs). */
export interface RemediationsState {
  format: 1;
  kind: 'remediations';
  target: string;
  drift: string;
  failures: number;
  last: string;
}

export interface RestoreSide {
  type: 'file' | 'symlink' | 'absent';
  sha256: string | null;
  mode?: number;
  target?: string;
}

export interface RestoreRecord extends LoopRecordHeader<'restore'> {
  reason: string;
  keys: string[];
  baseline: string;
  snapshot: string | null;
  files: { source: string; key: string; action: 'write' | 'create' | 'delete' | 'chmod' | 'relink'; before: RestoreSide; after: RestoreSide }[];
}

export type LoopRecordInput<R> = Omit<R, 'format' | 'kind' | 'chain' | 'tool'>;

export async function readWaivers(ledger: Ledger, commit: string | undefined, target: string): Promise<ActiveWaiver[]> {
  if (!commit) return [];
  return (await ledger.readJson<WaiversState>(commit, waiversPath(target)))?.waivers ?? [];
}

export async function readRemediations(ledger: Ledger, commit: string | undefined, target: string): Promise<RemediationsState | undefined> {
  return commit ? ledger.readJson<RemediationsState>(commit, remediationsPath(target)) : undefined;
}

/** Stages one `waiver` commit: the record, and waivers.json with it added and expired waivers dropped. */
export async function stageWaiver(writer: LedgerWriter, input: LoopRecordInput<WaiverRecord>, current: ActiveWaiver[], now: Date): Promise<WaiverRecord> {
  const record: WaiverRecord = { format: 1, kind: 'waiver', ...input, tool: { ...TOOL } };
  const active: ActiveWaiver = { id: record.id, by: personLine(input.by), reason: input.reason, until: input.until, keys: input.keys, anyContent: input.anyContent, covers: input.covers };
  const state: WaiversState = { format: 1, kind: 'waivers', target: input.target, waivers: [...current.filter((w) => isActive(w, now)), active] };
  const n = input.anyContent ? input.keys.length : input.covers.length;
  await writer.commit(
    [...(await writer.record(input.target, record.id, 'waiver', record)), { path: waiversPath(input.target), blob: encodeRecord('waivers', state) }],
    `waive ${input.target}: ${n} ${input.anyContent ? (n === 1 ? 'key' : 'keys') : n === 1 ? 'change' : 'changes'} until ${input.until} by ${input.by.name}`,
    { 'Drift-Target': input.target, 'Drift-Kind': 'waiver', 'Drift-Record': record.id, 'Drift-Actor': personLine(input.by) },
  );
  return record;
}

/**
 * Stages one `remediation` commit: the record, and (given `state`) remediations.json, which counts
 * the failed remediation runs of the target's current drift (see max_attempts).
 */
export async function stageRemediation(writer: LedgerWriter, input: LoopRecordInput<RemediationRecord>, state: RemediationsState | undefined): Promise<RemediationRecord> {
  const record: RemediationRecord = { format: 1, kind: 'remediation', ...input, tool: { ...TOOL } };
  const edits = await writer.record(input.target, record.id, 'remediation', record);
  if (state) edits.push({ path: remediationsPath(input.target), blob: encodeRecord('remediations', { ...state, last: record.id }) });
  await writer.commit(
    edits,
    `remediate ${input.target}: ${input.outcome}${input.timedOut ? ' (timed out)' : input.exitCode !== null ? ` (exit ${input.exitCode})` : ''}, ${input.remaining} change${input.remaining === 1 ? '' : 's'} left`,
    { 'Drift-Target': input.target, 'Drift-Kind': 'remediation', 'Drift-Status': input.outcome, 'Drift-Record': record.id, 'Drift-Actor': personLine(input.by) },
  );
  return record;
}

/** Stages one `restore` commit holding the record. */
export async function stageRestore(writer: LedgerWriter, input: LoopRecordInput<RestoreRecord>): Promise<RestoreRecord> {
  const record: RestoreRecord = { format: 1, kind: 'restore', ...input, tool: { ...TOOL } };
  const n = input.files.length;
  await writer.commit(
    await writer.record(input.target, record.id, 'restore', record),
    `restore ${input.target}: ${n} ${n === 1 ? 'entry' : 'entries'} by ${input.by.name}: ${input.reason.split('\n')[0].slice(0, 72)}`,
    { 'Drift-Target': input.target, 'Drift-Kind': 'restore', 'Drift-Record': record.id, 'Drift-Actor': personLine(input.by) },
  );
  return record;
}
