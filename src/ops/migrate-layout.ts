import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { DriftError, isDriftError } from '../errors.js';
import { indexedHistory, type IndexedCommit } from '../ledger/commit-index.js';
import type { GitStore, Signature } from '../ledger/git-store.js';
import { DEAD_DIR, formatCommitMessage, LEDGER_FORMAT_SET, LEDGER_META_PATH, OUTBOX_DIR, trailerValues } from '../ledger/layout.js';
import { applyEdits, Ledger, LedgerWriter, type Edit } from '../ledger/ledger.js';
import { LedgerSet, memberBranch, SHARED_MEMBER } from '../ledger/ledger-set.js';
import type { LedgerMeta } from '../ledger/records.js';
import { pushBranchRef, remoteLink, REMOTE_NAME, syncFromRemote } from '../ledger/remote-sync.js';
import { TOOL } from '../ledger/recorder.js';
import type { OpDeps } from '../session/deps.js';
import { pushSet } from '../session/set-sync.js';

/** Where `migrate --layout per-target` keeps the single branch's tip. */
export function layoutBackupRef(branch: string): string {
  return `refs/driftctl/backup/${branch}/branch-layout`;
}

export interface LayoutMember {
  member: string;
  /** The member's migrate commit (null with --dry-run). */
  tip: string | null;
  targets: string[];
  outbox: number;
  dead: number;
}

export interface LayoutMigration {
  state: 'migrated' | 'would-migrate' | 'current';
  branch: string;
  from: number;
  /** The single branch's tip before (its history is every member's history). */
  oldTip: string | null;
  members: LayoutMember[];
  backup: string | null;
  /** With ledger.remote: what happened to the old branch on the remote. */
  remote: { oldBranch: 'deleted' | 'kept' | 'absent'; backup: string | null; pushed: string[] } | null;
}

/**
 * Converts a single-branch ledger into a per-target set (ledger/FORMAT.md "Ledger sets"): each
 * member branch starts FROM the old tip, with one `migrate` commit that keeps only that target's
 * `targets/<t>` (the `_shared` member: none), the outbox and dead entries that belong to it, and a
 * member `ledger.json` (format 3). So each member's history, and verify over it, stay intact. The
 * old tip is kept under `layoutBackupRef`, and the old branch ref is removed (git cannot hold
 * `<branch>` beside `<branch>/<t>`). With `ledger.remote`, the old branch is synced first; since
 * the remote cannot hold both either, the old remote branch is replaced only with
 * `deleteRemoteBranch` (its tip is kept on the remote under the backup ref name); without it
 * nothing is written and the error says so. Idempotent: a set is left alone.
 */
export async function migrateToSet(deps: OpDeps, config: Config, store: GitStore, ledger: Ledger, author: Signature, options: { dryRun: boolean; deleteRemoteBranch: boolean }): Promise<LayoutMigration> {
  const branch = config.ledger.branch;
  if (ledger instanceof LedgerSet) {
    return { state: 'current', branch, from: LEDGER_FORMAT_SET, oldTip: null, members: (await ledger.memberNames()).map((member) => ({ member, tip: null, targets: [], outbox: 0, dead: 0 })), backup: null, remote: null };
  }
  const link = remoteLink(ledger, config, deps.env);
  let remoteOld: string | undefined;
  if (link && !options.dryRun) {
    await syncFromRemote(link, { replay: true });
    remoteOld = await store.resolveRef(link.trackingRef);
    if (remoteOld && !options.deleteRemoteBranch) {
      throw new DriftError(
        'REMOTE_LAYOUT_BRANCH',
        `the remote ${link.where} holds the single branch "${branch}", which git cannot keep beside the member branches ${branch}/<target>: run "driftctl migrate --layout per-target --delete-remote-branch" to replace it (its tip stays on the remote as ${layoutBackupRef(branch)}); nothing was written`,
        { data: { branch } },
      );
    }
  }
  const tip = await ledger.requireTip();
  const meta = await ledger.readJson<LedgerMeta>(tip, LEDGER_META_PATH);
  if (!meta) throw new DriftError('NOT_A_LEDGER', `branch "${branch}" has no readable ${LEDGER_META_PATH}: nothing to migrate`, { data: { branch, tip } });
  const targets = await ledger.targetsAt(tip);
  const outbox = await blobPaths(store, tip, OUTBOX_DIR);
  const dead = await blobPaths(store, tip, DEAD_DIR);
  const history = await indexedHistory(store, branch, tip, deps.warn);
  const owners = new Map<string, string>();
  for (const file of outbox) owners.set(file, (await addedBy(store, history, file, targets)) ?? SHARED_MEMBER);
  for (const file of dead) {
    const entryId = (await ledger.readJson<{ entry?: { id?: string } }>(tip, file))?.entry?.id;
    const owner = entryId ? await addedBy(store, history, `${OUTBOX_DIR}/${entryId}.json`, targets) : undefined;
    owners.set(file, owner ?? (await addedBy(store, history, file, targets)) ?? SHARED_MEMBER);
  }
  const names = [...targets, SHARED_MEMBER];
  const plan: LayoutMember[] = names.map((member) => ({
    member,
    tip: null,
    targets: targets.includes(member) ? [member] : [],
    outbox: outbox.filter((f) => owners.get(f) === member).length,
    dead: dead.filter((f) => owners.get(f) === member).length,
  }));
  const backup = layoutBackupRef(branch);
  if (options.dryRun) {
    return { state: 'would-migrate', branch, from: meta.format, oldTip: tip, members: plan, backup: null, remote: link ? { oldBranch: (await store.resolveRef(`refs/remotes/${REMOTE_NAME}/${branch}`)) ? (options.deleteRemoteBranch ? 'deleted' : 'kept') : 'absent', backup: null, pushed: [] } : null };
  }
  // The remote first: if it refuses to delete its old branch, nothing local has changed yet.
  let remoteBackup: string | null = null;
  if (link && remoteOld) {
    await store.setRef(backup, tip);
    await pushBranchRef(link, backup, true);
    remoteBackup = backup;
    try {
      await store.deleteRemoteBranch(link.spec, branch, REMOTE_NAME);
    } catch (error) {
      if (!isDriftError(error) || error.code !== 'REMOTE_REJECTED') throw error;
      throw new DriftError(
        'REMOTE_LAYOUT_BRANCH',
        `${link.where} refused to delete the branch "${branch}" (a server refuses to delete its default branch, HEAD): make another branch the remote's default, then run "driftctl migrate --layout per-target --delete-remote-branch" again; the local ledger is unchanged (its tip is on the remote as ${backup})`,
        { data: { branch } },
      );
    }
    await store.deleteRef(link.trackingRef).catch(() => undefined);
  }
  const time = new Date(author.timestamp * 1000).toISOString();
  const rootTree = (await store.readCommit(tip)).tree;
  const commits = new Map<string, string>();
  for (const member of plan) {
    const memberMeta: LedgerMeta = { format: LEDGER_FORMAT_SET, kind: 'ledger', layout: 'per-target', member: member.member, created: meta.created, tool: meta.tool, migrated: { from: meta.format, time, tool: { ...TOOL } } };
    const edits: Edit[] = [LedgerWriter.meta(memberMeta)];
    for (const t of targets) if (t !== member.member) edits.push({ path: `targets/${t}`, remove: true });
    for (const file of [...outbox, ...dead]) if (owners.get(file) !== member.member) edits.push({ path: file, remove: true });
    const tree = await applyEdits(store, rootTree, edits);
    const commit = await store.writeCommit({
      tree,
      parents: [tip],
      message: formatCommitMessage(`driftctl ledger migrated to a per-target set: member ${member.member}`, { 'Drift-Kind': 'migrate' }),
      author,
      committer: author,
    });
    commits.set(member.member, commit);
    member.tip = commit;
  }
  // The backup first, so a crash leaves the old tip named; then the old ref goes (a ref cannot be
  // both a file and a folder) and the members appear.
  await store.setRef(backup, tip);
  ledger.assertNotCheckedOut();
  await store.deleteRef(ledger.ref);
  rmSync(path.join(store.gitdir, 'logs', 'refs', 'heads', ...branch.split('/')), { force: true });
  const set = new LedgerSet(store, branch);
  for (const [member, commit] of commits) {
    await store.setRef(`refs/heads/${memberBranch(branch, member)}`, commit);
    set.member(member).recordCheckpoint(commit);
  }
  let remote: LayoutMigration['remote'] = null;
  if (link) {
    const outcome = await pushSet(set, config, deps, { onlyAhead: false });
    if (outcome.failed) throw outcome.failed;
    remote = { oldBranch: remoteOld ? 'deleted' : 'absent', backup: remoteBackup, pushed: outcome.members.filter((m) => m.pushed).map((m) => m.member) };
  }
  return { state: 'migrated', branch, from: meta.format, oldTip: tip, members: plan, backup, remote };
}

/** Paths of every blob below `dir` at `commit`. */
async function blobPaths(store: GitStore, commit: string, dir: string): Promise<string[]> {
  const found = await store.lookupPath(commit, dir);
  if (!found || found.type !== 'tree') return [];
  const out: string[] = [];
  const walk = async (oid: string, prefix: string): Promise<void> => {
    for (const e of await store.readTree(oid)) {
      if (e.type === 'tree') await walk(e.oid, `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(found.oid, `${dir}/`);
  return out.sort();
}

/**
 * The target of the commit that added `file` (newest first, looking only at commits within an hour
 * of the time in the file's record id), when that commit names exactly one target; else undefined.
 */
async function addedBy(store: GitStore, history: IndexedCommit[], file: string, targets: string[]): Promise<string | undefined> {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{6}/.exec(file);
  const at = m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) / 1000 : undefined;
  for (let i = history.length - 1; i >= 0; i--) {
    const commit = history[i];
    if (at !== undefined && Math.abs(commit.time - at) > 3600) continue;
    if (!(await store.lookupPath(commit.oid, file))) continue;
    const parent = commit.parents[0];
    if (parent && (await store.lookupPath(parent, file))) continue;
    const named = [...new Set([...trailerValues(commit.message, 'Drift-Target'), ...(commit.parts ?? []).map((p) => p.target)])].filter((t) => targets.includes(t));
    return named.length === 1 ? named[0] : undefined;
  }
  return undefined;
}
