import { DriftError } from '../errors.js';
import type { FilesSourceConfig } from '../config/config.js';
import { isExactCopy, readCapturedContent } from '../ledger/captured-content.js';
import { stageRestore, type RestoreRecord } from '../ledger/loop-records.js';
import { newRecordId } from '../ledger/layout.js';
import type { EntryDelta } from '../ledger/manifest-tree.js';
import { readHead } from '../ledger/reader.js';
import { createKeyMatcher } from '../match/glob.js';
import { applyStep, baselineSide, currentSide, pathUnderRoot, sha256, type RestoreStep } from '../restore/restore-files.js';
import { restoreDiff } from '../restore/unified-diff.js';
import { textOf } from '../drift/content-diff.js';
import { hasEscapedBytes } from '../sources/file-names.js';
import { resolveActor, signatureAt } from '../session/actor.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { singleTarget } from '../session/targets.js';
import { openWorkspace, withLock } from '../session/workspace.js';

export interface RestoreOptions extends ConfigOption {
  target?: string;
  /** Keys (or globs) of drifted entries to restore; empty with `all`. */
  keys: string[];
  all: boolean;
  reason: string;
  /** Show the plan and its diff; write nothing. */
  dryRun?: boolean;
  /** Apply without asking. */
  yes?: boolean;
  /** Also delete files that are not in the baseline (added since). */
  deleteAdded?: boolean;
  /** Asked with the plan before anything is written (the CLI asks on a TTY); absent and no `yes`: CONFIRMATION_REQUIRED. */
  confirm?: (plan: RestorePlanStep[]) => Promise<boolean>;
}

/** One file of the plan, as shown and returned (without the bytes). */
export type RestorePlanStep = Omit<RestoreStep, 'bytes' | 'file'> & { path: string };

export interface RestoreResult {
  target: string;
  status: 'restored' | 'planned' | 'declined' | 'nothing-to-restore';
  steps: RestorePlanStep[];
  /** Drifted entries left as they are, and why (added files without --delete-added, already restored). */
  kept: { source: string; key: string; why: string }[];
  record: RestoreRecord | null;
  branch: string;
  tip: string;
}

/**
 * Writes the baseline's captured content back over drifted files of files sources: changed files
 * get their baseline bytes and mode, removed ones are re-created, symlinks re-pointed, and added
 * files deleted only with `deleteAdded`. Refuses (NOT_CAPTURED, naming them) when any selected
 * entry's baseline content was not captured or was redacted, and (RESTORE_OUTSIDE_ROOT) any path
 * outside its source root; in both cases nothing is written. Records one `restore` commit; the
 * next check resolves the target's alerts with reason `restored`. Never touches git's index or HEAD.
 */
export async function restore(deps: OpDeps, options: RestoreOptions): Promise<RestoreResult> {
  const reason = options.reason?.trim();
  if (!reason) throw new DriftError('REASON_REQUIRED', 'restore needs --reason TEXT: the ledger records why the files were put back', {});
  if (!options.all && options.keys.length === 0) throw new DriftError('KEYS_REQUIRED', 'name the entries to restore (restore KEY...), or restore every drifted file with --all', {});
  if (options.all && options.keys.length > 0) throw new DriftError('KEYS_AND_ALL', 'give either KEY... or --all, not both', {});
  const ws = openWorkspace(deps, options);
  const targetConfig = singleTarget(ws.config, options.target);
  const target = targetConfig.name;
  const run = async (): Promise<RestoreResult> => {
    const base = await ws.ledger.requireTip();
    const head = await readHead(ws.ledger, base, target);
    if (!head.baseline || !head.snapshot) throw new DriftError('NO_BASELINE', `target "${target}" has no baseline yet (run "driftctl init" to record one)`, { data: { target } });
    const deltas = await ws.ledger.diff(head.baseline.tree, head.snapshot.tree);
    const matchers = options.keys.map((key) => ({ key, match: createKeyMatcher([key]) }));
    const unmatched = matchers.filter(({ key, match }) => !deltas.some((d) => d.key === key || match(d.key)));
    if (unmatched.length > 0) {
      throw new DriftError('KEY_NOT_DRIFTED', `no drift to restore for ${unmatched.map((u) => `"${u.key}"`).join(', ')} in target "${target}" (see "driftctl diff"; run "driftctl check" first if the change is new)`, { data: { keys: unmatched.map((u) => u.key) } });
    }
    const selected = options.all ? deltas : deltas.filter((d) => matchers.some(({ key, match }) => d.key === key || match(d.key)));
    const steps: RestoreStep[] = [];
    const kept: RestoreResult['kept'] = [];
    const refused: { source: string; key: string; why: string }[] = [];
    const reader = ws.ledger.reader();
    for (const delta of selected) {
      const source = targetConfig.sources.find((s) => s.name === delta.source);
      if (source?.kind !== 'files') {
        refused.push({ source: delta.source, key: delta.key, why: `a ${source?.kind ?? 'removed'} source, not files (use "driftctl remediate")` });
        continue;
      }
      const step = await planStep(source, delta, reader, options.deleteAdded === true, refused, kept);
      if (step) steps.push(step);
    }
    if (refused.length > 0) {
      throw new DriftError('NOT_CAPTURED', `restore cannot put back ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} of target "${target}", so nothing was written: ${refused.map((r) => `${r.source}:${r.key} (${r.why})`).join('; ')}`, { data: { entries: refused } });
    }
    const plan = steps.map(({ bytes: _bytes, file, ...rest }) => ({ ...rest, path: file }));
    const done = (status: RestoreResult['status'], record: RestoreRecord | null, tip: string): RestoreResult => ({ target, status, steps: plan, kept, record, branch: ws.config.ledger.branch, tip });
    if (steps.length === 0) return done('nothing-to-restore', null, base);
    if (options.dryRun) return done('planned', null, base);
    if (!options.yes) {
      if (!options.confirm) throw new DriftError('CONFIRMATION_REQUIRED', 'restore overwrites files: run it on a terminal to confirm, or pass --yes (see the plan with --dry-run)', {});
      if (!(await options.confirm(plan))) return done('declined', null, base);
    }
    for (const step of steps) applyStep(step);
    const time = deps.now();
    const actor = await resolveActor(ws, deps);
    const writer = ws.ledger.writer(base, signatureAt(actor, time));
    const record = await stageRestore(writer, {
      id: newRecordId(time),
      target,
      time: time.toISOString(),
      by: actor,
      reason,
      keys: options.all ? [] : options.keys,
      baseline: head.baseline.tree,
      snapshot: head.snapshot.id,
      files: steps.map((s) => ({ source: s.source, key: s.key, action: s.action, before: s.before, after: s.after })),
    });
    return done('restored', record, (await writer.publish()) as string);
  };
  return options.dryRun ? run() : withLock(ws, deps, 'restore', run);
}

/** The step that puts one drifted entry back, or undefined (kept, or refused with the reason). */
async function planStep(
  source: FilesSourceConfig,
  delta: EntryDelta,
  reader: { readBlob(oid: string): Promise<Buffer> },
  deleteAdded: boolean,
  refused: { source: string; key: string; why: string }[],
  kept: { source: string; key: string; why: string }[],
): Promise<RestoreStep | undefined> {
  const id = { source: delta.source, key: delta.key };
  if (hasEscapedBytes(delta.key)) {
    refused.push({ ...id, why: 'its name is not valid UTF-8' });
    return undefined;
  }
  const file = pathUnderRoot(source.root, delta.key);
  const now = currentSide(file);
  const { bytes: currentBytes, ...before } = now;
  const wanted = delta.before;
  if (!wanted) {
    if (!deleteAdded) {
      kept.push({ ...id, why: 'added since the baseline (delete it with --delete-added)' });
      return undefined;
    }
    if (now.type === 'absent') return undefined;
    return { ...id, file, action: 'delete', before, after: { type: 'absent', sha256: null }, diff: currentBytes && textOf(currentBytes) !== undefined ? restoreDiff(delta.key, currentBytes.toString('utf8'), undefined) : '' };
  }
  const after = baselineSide(wanted);
  if (wanted.error !== undefined) {
    refused.push({ ...id, why: 'it was unreadable when the baseline was taken' });
    return undefined;
  }
  if (wanted.type === 'symlink') {
    if (now.type === 'symlink' && now.target === wanted.target) return undefined;
    return { ...id, file, action: 'relink', before, after, diff: '' };
  }
  if (wanted.type !== 'file') {
    refused.push({ ...id, why: `a ${wanted.type} entry (directory groups are not captured)` });
    return undefined;
  }
  const sameBytes = now.type === 'file' && now.sha256 === wanted.sha256;
  if (sameBytes && now.mode === after.mode) {
    kept.push({ ...id, why: 'already as in the baseline' });
    return undefined;
  }
  if (sameBytes) return { ...id, file, action: 'chmod', before, after, diff: '' };
  if (!isExactCopy(wanted)) {
    const why = wanted.redacted !== undefined ? `its captured content is redacted (${wanted.redacted} secret${wanted.redacted === 1 ? '' : 's'} masked) and is not the file` : wanted.content !== undefined ? 'a structured file: only its parsed fields are kept' : `its content was not captured (${wanted.capture ?? 'capture is off for this source'}; add it to capture: and accept a new baseline)`;
    refused.push({ ...id, why });
    return undefined;
  }
  const bytes = (await readCapturedContent(reader, wanted)) as Buffer;
  if (sha256(bytes) !== wanted.sha256) {
    refused.push({ ...id, why: 'its captured blob does not match the baseline hash' });
    return undefined;
  }
  const text = textOf(bytes);
  const old = currentBytes ? textOf(currentBytes) : '';
  const diff = text !== undefined && old !== undefined ? restoreDiff(delta.key, now.type === 'absent' ? undefined : old, text) : '';
  return { ...id, file, action: now.type === 'absent' ? 'create' : 'write', before, after, bytes, diff };
}
