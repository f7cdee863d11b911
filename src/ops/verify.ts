import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../write-atomic.js';
import path from 'node:path';
import { DriftError } from '../errors.js';
import type { ManifestEntry } from '../drift/manifest.js';
import { classifyDeltas, reportDeltas, type Change, type DriftReport } from '../drift/report.js';
import { dayRecordPath, isRecordId, recordPath } from '../ledger/layout.js';
import type { LedgerMeta, TargetHead } from '../ledger/records.js';
import { canonicalJson, isCanonicalJson } from '../drift/canonical-json.js';
import type { CommitInfo, StoredTreeEntry } from '../ledger/git-store.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerSet, viewMembers } from '../ledger/ledger-set.js';
import { verifyCommitSignature } from '../ledger/signatures.js';
import { chainPath, ledgerFileKind } from '../ledger/layout.js';
import { isContentBlobName } from '../ledger/manifest-tree.js';
import { validateAgainst, type SchemaName } from '../schemas.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';
import { openWorkspace } from '../session/workspace.js';
import { indexedHistory, type IndexedCommit } from '../ledger/commit-index.js';
import { formatGap, monitoringGaps } from '../ledger/gaps.js';

/**
 * Checks the whole ledger history, like a lock-file drift check: one PASS/FAIL per check.
 * 1. schema: every JSON file in every commit is canonical and valid against its schema;
 * 2. append-only: no record is ever modified or deleted, `ledger.json` never changes, and a
 *    target's baseline changes only in accept commits;
 * 3. reproducible: every report, recomputed from the manifests it names with the rules it
 *    recorded, is byte-identical;
 * 4. continuity: every target's records form one unbroken hash chain ending at its chain.json,
 *    and the tip descends from every tip this machine published (the checkpoint file);
 * 5. signatures: signed commits verify (SSH allowed-signers or GPG keyring); with
 *    `requireSignatures`, unsigned commits fail.
 */
export interface VerifyOptions extends ConfigOption {
  /** SSH allowed-signers file for commit signatures. */
  allowedSigners?: string;
  requireSignatures?: boolean;
  /** Check every commit again instead of continuing from the last verified point. */
  full?: boolean;
  /** `--max-gap`: a target unchecked for longer than this (between two checks, or until now) is a finding. */
  maxGapMs?: number;
}

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface VerifyCheck {
  id: 'schema' | 'append-only' | 'reproducible' | 'continuity' | 'signatures' | 'gaps' | 'members';
  status: CheckStatus;
  summary: string;
  problems: string[];
}

export interface VerifyResult {
  status: 'PASS' | 'FAIL';
  /** `incremental`: only the commits after the last verified point were checked (`--full` checks all). */
  mode: 'incremental' | 'full';
  branch: string;
  tip: string;
  commits: number;
  checks: VerifyCheck[];
}

const MAX_PROBLEMS = 50;

export async function verify(deps: OpDeps, options: VerifyOptions): Promise<VerifyResult> {
  if (options.allowedSigners !== undefined) {
    const file = path.resolve(deps.cwd, options.allowedSigners);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new DriftError('ALLOWED_SIGNERS_NOT_FOUND', `--allowed-signers ${options.allowedSigners}: no such file (give the SSH allowed-signers file that signed commits are checked against)`, {
        data: { file },
      });
    }
    options = { ...options, allowedSigners: file };
  }
  const ws = openWorkspace(deps, options);
  const ledger = ws.ledger;
  const tip = await ledger.requireTip();
  ledger.store.beginBatchReads();
  try {
    if (ledger instanceof LedgerSet) return await verifySet(deps, options, ledger, tip);
    return await verifyFrom(deps, options, ledger, tip);
  } finally {
    ledger.store.endBatchReads();
  }
}

async function verifyFrom(deps: OpDeps, options: VerifyOptions, ledger: Ledger, tip: string, scope: { gaps: boolean } = { gaps: true }): Promise<VerifyResult> {
  const stateFile = verifiedStateFile(ledger);
  // A verified point holds only for the signature rules it was verified under.
  const rules = `${options.allowedSigners ?? ''}\u0000${options.requireSignatures === true}`;
  const loaded = options.full ? undefined : loadVerifiedState(stateFile, ledger.branch, deps.warn);
  const state = loaded?.rules === rules ? loaded : undefined;
  let commits: CommitInfo[] | undefined;
  if (state && state.tip === tip) commits = [];
  else if (state && (await ledger.store.isAncestor(state.tip, tip))) {
    // What is new since the verified point, read in one stream (the walk then reads from memory).
    ledger.store.prefetchReachable([tip], [state.tip]);
    commits = await commitsSince(ledger, tip, new Set(state.commits));
  }
  const incremental = commits !== undefined && state !== undefined;
  if (commits === undefined) {
    ledger.store.prefetchReachable([tip]);
    commits = await commitsSince(ledger, tip, new Set());
  }
  const walk = new LedgerWalk(ledger, incremental ? state : undefined);
  walk.knowCommits(commits);
  const checks: VerifyCheck[] = [];
  checks.push(await walk.schemas(commits));
  checks.push(await walk.appendOnly(commits));
  checks.push(await walk.reproducible());
  const allCheckpoints = ledger.readCheckpoints();
  const reachable = new Set([...(incremental ? state.commits : []), ...commits.map((c) => c.oid)]);
  checks.push(await walk.continuity(tip, incremental ? allCheckpoints.slice(state.checkpoints) : allCheckpoints, reachable));
  checks.push(signatures(ledger, commits, options));
  if (scope.gaps) checks.push(gapCheck(await indexedHistory(ledger.store, ledger.branch, tip), deps.now().getTime(), options.maxGapMs));
  const structural = checks.filter((c) => c.id !== 'gaps');
  if (!structural.some((c) => c.status === 'FAIL')) {
    saveVerifiedState(stateFile, {
      version: 1,
      branch: ledger.branch,
      tip,
      commits: [...(incremental ? state.commits : []), ...commits.map((c) => c.oid)],
      // A member branch's `migrate --layout per-target` commit drops other targets' records: the
      // chains continue only from the records still present.
      records: [...walk.records.values()].filter((r) => !walk.presentAtTip || walk.presentAtTip.has(r.path)),
      order: walk.nextOrder,
      checkpoints: allCheckpoints.length,
      rules,
    });
  }
  return {
    status: checks.some((c) => c.status === 'FAIL') ? 'FAIL' : 'PASS',
    mode: incremental ? 'incremental' : 'full',
    branch: ledger.branch,
    tip,
    commits: commits.length,
    checks,
  };
}

/**
 * A ledger set (`ledger.layout: per-target`): every member branch verified as a ledger of its own
 * (incrementally, each from its own verified point), their results merged check by check (problems
 * prefixed with the member), the monitoring gaps read over the merged history, and a `members`
 * check: each member's ledger.json names it, each member holds only its own `targets/<t>/` in every
 * commit since it became a member (`_shared`: none), and no member branch verified before is gone.
 */
async function verifySet(deps: OpDeps, options: VerifyOptions, set: LedgerSet, tip: string): Promise<VerifyResult> {
  const members = viewMembers(await set.store.readCommit(tip)) ?? [];
  const results: { name: string; result: VerifyResult }[] = [];
  for (const m of members) results.push({ name: m.name, result: await verifyFrom(deps, options, set.member(m.name), m.tip, { gaps: false }) });
  const checks: VerifyCheck[] = [];
  for (const id of ['schema', 'append-only', 'reproducible', 'continuity', 'signatures'] as const) {
    const parts = results.map(({ name, result }) => ({ name, check: result.checks.find((c) => c.id === id) as VerifyCheck }));
    const failed = parts.some((p) => p.check.status === 'FAIL');
    const status: CheckStatus = failed ? 'FAIL' : parts.some((p) => p.check.status === 'PASS') ? 'PASS' : 'SKIP';
    checks.push({
      id,
      status,
      summary: failed ? `${parts.filter((p) => p.check.status === 'FAIL').length} of ${parts.length} member branch(es) failed` : parts.map((p) => `${p.name}: ${p.check.summary}`).join('; '),
      problems: parts.flatMap((p) => p.check.problems.map((problem) => `[${set.branch}/${p.name}] ${problem}`)).slice(0, MAX_PROBLEMS),
    });
  }
  const stateFile = path.join(set.store.gitdir, 'driftctl', 'verified', `${set.branch.replace(/\//g, '%2F')}.set.json`);
  // The members verified last time: a vanished one is a finding even under --full, which only
  // re-reads every member from its start instead of from the tip verified last time.
  let verified: Record<string, string> = {};
  try {
    const data = JSON.parse(readFileSync(stateFile, 'utf8')) as { members?: Record<string, string> };
    verified = data.members ?? {};
  } catch {
    verified = {};
  }
  const previous = options.full ? {} : verified;
  const problems: string[] = [];
  for (const [name, verifiedTip] of Object.entries(verified)) {
    if (!members.some((m) => m.name === name)) add(problems, `member branch ${set.branch}/${name} (verified at ${verifiedTip.slice(0, 12)}) is gone`);
  }
  const holders = new Map<string, string>();
  for (const m of members) {
    await memberBoundaries(set, m.name, m.tip, previous[m.name], problems);
    const targets = await set.member(m.name).targetsAt(m.tip);
    for (const t of targets) {
      const other = holders.get(t);
      if (other) add(problems, `target "${t}" is on two member branches: ${set.branch}/${other} and ${set.branch}/${m.name}`);
      holders.set(t, m.name);
    }
  }
  checks.push(finish('members', problems, `${members.length} member branch(es), each holding only its own target; none gone since the last verify`));
  checks.push(gapCheck(await indexedHistory(set.store, set.branch, tip), deps.now().getTime(), options.maxGapMs));
  const failed = checks.some((c) => c.status === 'FAIL');
  if (!checks.filter((c) => c.id !== 'gaps').some((c) => c.status === 'FAIL')) {
    writeFileAtomic(stateFile, JSON.stringify({ members: Object.fromEntries(members.map((m) => [m.name, m.tip])) }));
  }
  return {
    status: failed ? 'FAIL' : 'PASS',
    mode: results.every((r) => r.result.mode === 'incremental') ? 'incremental' : 'full',
    branch: set.branch,
    tip,
    commits: results.reduce((n, r) => n + r.result.commits, 0),
    checks,
  };
}

/**
 * Walks a member's first parents from its tip back to `stop` (its tip at the last verify) or to
 * where it became a member (the first commit whose ledger.json names no member): every commit's
 * ledger.json must name this member, and its `targets/` hold only this member's target.
 */
async function memberBoundaries(set: LedgerSet, name: string, tip: string, stop: string | undefined, problems: string[]): Promise<void> {
  const store = set.store;
  const where = `${set.branch}/${name}`;
  let lastTargets: string | undefined;
  for (let at: string | undefined = tip; at !== undefined && at !== stop; ) {
    const commit = await store.readCommit(at);
    const metaEntry = await store.lookupPath(at, 'ledger.json');
    const meta = metaEntry?.type === 'blob' ? (safeParse((await store.readBlob(metaEntry.oid)).toString('utf8')) as LedgerMeta | undefined) : undefined;
    if (meta?.layout !== 'per-target') {
      if (at === tip) add(problems, `${where}: its ledger.json does not say it is a member of a per-target set`);
      return;
    }
    if (meta.member !== name) add(problems, `${where}: commit ${at.slice(0, 12)} says it is member "${String(meta.member)}"`);
    const targets = await store.lookupPath(at, 'targets');
    if (targets && targets.oid !== lastTargets) {
      for (const entry of await store.readTree(targets.oid)) {
        if (entry.name !== name) add(problems, `${where}: commit ${at.slice(0, 12)} holds targets/${entry.name} (a member branch holds only its own target)`);
      }
    }
    lastTargets = targets?.oid;
    at = commit.parents[0];
  }
}

/**
 * The verified point (ledger/FORMAT.md "Outside the branch"): after a verify that passed, the tip,
 * every commit checked, the records with their hashes and chain links, and how many checkpoint
 * lines were proven, with the sha256 of all that. The next `verify` checks only commits that are
 * not in it (the append-only, reproducible and signature checks of a commit depend only on it and
 * its parents) and continues the hash chains from the records it holds. A state that fails its
 * checksum, names another branch, or whose tip the branch no longer contains means a full verify.
 */
interface VerifiedState {
  version: 1;
  branch: string;
  tip: string;
  commits: string[];
  records: RecordInfo[];
  order: number;
  checkpoints: number;
  /** The signature options verified under (allowed-signers file, require-signatures). */
  rules: string;
}

function verifiedStateFile(ledger: Ledger): string {
  return path.join(ledger.store.gitdir, 'driftctl', 'verified', `${ledger.branch.replace(/\//g, '%2F')}.json`);
}

function loadVerifiedState(file: string, branch: string, warn?: (message: string) => void): VerifiedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const data = JSON.parse(text) as { state?: VerifiedState; checksum?: string };
    if (data.state?.version === 1 && data.state.branch === branch && data.checksum === createHash('sha256').update(JSON.stringify(data.state)).digest('hex')) return data.state;
  } catch {
    // damaged: fall through
  }
  warn?.(`verified point ${file} is damaged (checksum mismatch): ignored, the whole history is verified`);
  return undefined;
}

function saveVerifiedState(file: string, state: VerifiedState): void {
  const text = JSON.stringify(state);
  writeFileAtomic(file, JSON.stringify({ state, checksum: createHash('sha256').update(text).digest('hex') }));
}

/** Commits reachable from `tip` and not in `known`, parents before children. */
async function commitsSince(ledger: Ledger, tip: string, known: Set<string>): Promise<CommitInfo[]> {
  const out: CommitInfo[] = [];
  const seen = new Set<string>();
  const visit = async (oid: string): Promise<void> => {
    const stack: { commit: CommitInfo; next: number }[] = [];
    const push = async (id: string): Promise<void> => {
      seen.add(id);
      stack.push({ commit: await ledger.store.readCommit(id), next: 0 });
    };
    await push(oid);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const parent = top.commit.parents[top.next++];
      if (parent === undefined) {
        out.push(top.commit);
        stack.pop();
      } else if (!known.has(parent) && !seen.has(parent)) await push(parent);
    }
  };
  if (!known.has(tip)) await visit(tip);
  return out;
}

interface RecordInfo {
  path: string;
  target: string;
  kind: string;
  sha256: string;
  chain: { previous: string | null; sha256: string | null } | undefined;
  commit: string;
  /** Order in which records appeared (commit order, then path order). */
  order: number;
}

class LedgerWalk {
  private readonly seenTrees = new Set<string>();
  private readonly seenBlobs = new Map<string, string | null>();
  readonly records = new Map<string, RecordInfo>();
  readonly reports: { path: string; commit: string; text: string }[] = [];
  private order = 0;
  /** Incremental: record paths known present at the verified point plus those added since. */
  private readonly incremental: boolean;

  constructor(
    private readonly ledger: Ledger,
    state?: VerifiedState,
  ) {
    this.incremental = state !== undefined;
    if (state) {
      for (const record of state.records) this.records.set(record.path, record);
      this.order = state.order;
    }
  }

  get nextOrder(): number {
    return this.order;
  }

  /** Trees and commits are immutable: each is read and parsed once per verify. */
  private readonly trees = new Map<string, Promise<StoredTreeEntry[]>>();
  private readonly commitTrees = new Map<string, Promise<CommitInfo>>();
  private tree(oid: string): Promise<StoredTreeEntry[]> {
    let found = this.trees.get(oid);
    if (!found) this.trees.set(oid, (found = this.ledger.store.readTree(oid)));
    return found;
  }
  /** Commits already read (the walk's own list) are not read again. */
  knowCommits(commits: CommitInfo[]): void {
    for (const c of commits) this.commitTrees.set(c.oid, Promise.resolve(c));
  }

  private commit(oid: string): Promise<CommitInfo> {
    let found = this.commitTrees.get(oid);
    if (!found) this.commitTrees.set(oid, (found = this.ledger.store.readCommit(oid)));
    return found;
  }

  /** Check 1, collecting every record on the way for the later checks. */
  async schemas(commits: CommitInfo[]): Promise<VerifyCheck> {
    const problems: string[] = [];
    let files = 0;
    for (const commit of commits) {
      const before = this.seenBlobs.size;
      // What equals the first parent's tree was checked with the parent (commits go oldest first).
      const parentTree = commit.parents[0] ? (await this.commit(commit.parents[0])).tree : undefined;
      await this.visitTree(commit.tree, parentTree, '', commit.oid, problems);
      files += this.seenBlobs.size - before;
    }
    return finish('schema', problems, `${files} distinct JSON files in ${commits.length} commits are canonical and valid against their schemas`);
  }

  private async visitTree(oid: string, old: string | undefined, prefix: string, commit: string, problems: string[]): Promise<void> {
    if (oid === old) return;
    // Manifest trees are content-addressed all the way down: one visit per tree id is enough.
    // Elsewhere the meaning of a file depends on its path, so the path is part of the key.
    const inManifest = /^targets\/[^/]+\/(latest|baseline)\//.test(`${prefix}`);
    const key = inManifest ? oid : `${prefix}\u0000${oid}`;
    if (this.seenTrees.has(key)) return;
    this.seenTrees.add(key);
    const before = old ? new Map((await this.tree(old)).map((e) => [e.name, e])) : undefined;
    for (const entry of await this.tree(oid)) {
      const path = prefix + entry.name;
      const was = before?.get(entry.name);
      if (was?.oid === entry.oid && was.type === entry.type) continue;
      if (entry.type === 'tree') {
        await this.visitTree(entry.oid, was?.type === 'tree' ? was.oid : undefined, `${path}/`, commit, problems);
        continue;
      }
      if (inManifest && isContentBlobName(entry.name)) continue; // captured content: any bytes, named by its id
      const schema: SchemaName | undefined = ledgerFileKind(path);
      const blobKey = `${schema ?? 'none'}\u0000${entry.oid}`;
      if (!this.seenBlobs.has(blobKey)) {
        this.seenBlobs.set(blobKey, null);
        const text = (await this.ledger.store.readBlob(entry.oid)).toString('utf8');
        // Parsed once for the canonical form, the schema and the record's chain link.
        const value = schema ? safeParse(text) : undefined;
        if (!schema) add(problems, `${path}: not a file the ledger format knows (commit ${commit.slice(0, 12)})`);
        else if (value === undefined || !isCanonicalJson(text, value)) add(problems, `${path}: not canonical JSON (commit ${commit.slice(0, 12)})`);
        else {
          const issues = validateAgainst(schema, value);
          if (issues.length > 0) add(problems, `${path}: ${issues[0].path || '/'} ${issues[0].message} (commit ${commit.slice(0, 12)})`);
        }
        if (schema && isRecordSchema(schema)) {
          // Commits are visited oldest first: keep when a path first appeared, and its latest bytes.
          const parsed = value as { target?: string; chain?: RecordInfo['chain'] } | undefined;
          const first = this.records.get(path);
          this.records.set(path, {
            path,
            target: path.split('/')[1],
            kind: schema,
            sha256: createHash('sha256').update(text).digest('hex'),
            chain: parsed?.chain,
            commit: first?.commit ?? commit,
            order: first?.order ?? this.order++,
          });
          if (schema === 'report') this.reports.push({ path, commit, text });
        }
      }
    }
  }

  /** Check 2: compares each commit with its parents. */
  async appendOnly(commits: CommitInfo[]): Promise<VerifyCheck> {
    const problems: string[] = [];
    for (const commit of commits) {
      const kind = Ledger.describe(commit.message).trailers['Drift-Kind'];
      if (kind === 'migrate' && commit.parents.length === 1 && (await this.isLayoutMigration((await this.commit(commit.parents[0])).tree, commit, problems))) continue;
      for (const parent of commit.parents) {
        const parentTree = (await this.commit(parent)).tree;
        await this.compareRecords(parentTree, commit.tree, '', commit, problems);
        const [metaBefore, metaAfter] = await Promise.all([this.pathOid(parentTree, 'ledger.json'), this.pathOid(commit.tree, 'ledger.json')]);
        if (metaBefore !== metaAfter && !(kind === 'migrate' && (await this.isMigration(parentTree, commit, problems)))) add(problems, `ledger.json changed in commit ${commit.oid.slice(0, 12)}`);
      }
      const parentTrees = await Promise.all(commit.parents.map(async (p) => (await this.commit(p)).tree));
      for (const target of await this.targetNames(commit.tree, ...parentTrees)) {
        await this.baselineChange(commit, kind, parentTrees, target, problems);
        await this.headConsistency(commit, parentTrees[0], target, problems);
      }
      if (commit.parents.length === 0 && kind !== 'ledger') add(problems, `root commit ${commit.oid.slice(0, 12)} is ${describeKind(kind)}, not the ledger's creation`);
    }
    return finish('append-only', problems, `${commits.length} commits: no record modified or deleted; baselines changed only by accepts that name exactly those changes`);
  }

  /**
   * A target's baseline may change only in a single-parent accept commit that adds exactly one
   * accept record of that target whose `baseline.before`/`after` are the trees before and after,
   * whose `changes` are exactly the entries that differ between them (an initial baseline, with no
   * `before`, names none), and which is the next link of the target's hash chain (`chain.json`
   * of the commit names it). A merge commit may only take the baseline of one of its parents.
   */
  private async baselineChange(commit: CommitInfo, kind: string | undefined, parentTrees: string[], target: string, problems: string[]): Promise<void> {
    const where = `baseline of target "${target}" changed in commit ${commit.oid.slice(0, 12)}`;
    const baselineOf = (tree: string): Promise<string | undefined> => this.pathOid(tree, `targets/${target}/baseline`);
    const after = await baselineOf(commit.tree);
    const befores = await Promise.all(parentTrees.map(baselineOf));
    if (parentTrees.length === 0) {
      if (after !== undefined) add(problems, `${where}: a root commit may not hold a baseline`);
      return;
    }
    if (befores.includes(after)) return;
    if (parentTrees.length > 1) {
      add(problems, `${where}: a merge commit may only keep the baseline of one of its parents`);
      return;
    }
    // A commit without a Drift-Kind trailer is a forge's squash of an accept pull request: it is
    // held to the same content rules as an accept commit (the trailer proves nothing by itself).
    const squash = kind === undefined;
    if (kind !== 'accept' && !squash) {
      add(problems, `baseline of target "${target}" changed in ${describeKind(kind)} ${commit.oid.slice(0, 12)} (only accept commits may change it)`);
      return;
    }
    const before = befores[0];
    const added = (await this.addedPaths(parentTrees[0], commit.tree, `targets/${target}/records/`)).filter((p) => p.endsWith('.accept.json'));
    if (added.length !== 1) {
      if (squash) add(problems, `baseline of target "${target}" changed in ${describeKind(kind)} ${commit.oid.slice(0, 12)} with ${added.length === 0 ? 'no accept record' : `${added.length} accept records`} (only accept commits, or a forge's squash of one, may change it)`);
      else add(problems, `${where} with ${added.length === 0 ? 'no accept record' : `${added.length} accept records`} (an accept commit adds exactly one accept record naming the change)`);
      return;
    }
    const path = added[0];
    const blob = await this.blobAtPath(commit.tree, path);
    const text = blob?.toString('utf8') ?? '';
    const record = safeParse(text) as { target?: string; baseline?: { before?: string | null; after?: string }; changes?: Change[]; chain?: RecordInfo['chain'] } | undefined;
    if (!record || record.target !== target || !record.baseline || !Array.isArray(record.changes)) {
      add(problems, `${where}: its accept record ${path} is not a valid accept of that target`);
      return;
    }
    if ((record.baseline.before ?? null) !== (before ?? null) || record.baseline.after !== after) {
      add(problems, `${where}: its accept record ${path} names baseline ${short(record.baseline.before)} → ${short(record.baseline.after)}, but the commit changes it ${short(before)} → ${short(after)}`);
    } else {
      const mismatch = await this.changesMismatch(before, after, record.changes);
      if (mismatch) add(problems, `${where}: its accept record ${path} does not name exactly the changed entries (${mismatch})`);
    }
    // The accept must be the next link of the target's hash chain.
    const [parentChain, chain] = await Promise.all([this.chainLast(parentTrees[0], target), this.chainLast(commit.tree, target)]);
    if (parentChain || chain || record.chain) {
      const sha = createHash('sha256').update(text).digest('hex');
      const linked =
        record.chain !== undefined &&
        record.chain.previous === (parentChain?.path ?? null) &&
        record.chain.sha256 === (parentChain?.sha256 ?? null) &&
        (chain?.path === path ? chain.sha256 === sha : squash && chain !== undefined && (await this.chainReaches(commit.tree, chain, path, sha)));
      if (!linked) add(problems, `${where}: its accept record ${path} is not the next link of the target's hash chain`);
    }
  }

  /** "" when `changes` name exactly the entries that differ between two baseline trees, else what differs. */
  private async changesMismatch(before: string | undefined, after: string | undefined, changes: Change[]): Promise<string> {
    const id = (source: string, key: string): string => `${source}\u0000${key}`;
    const expected = new Map<string, string>();
    for (const d of await this.ledger.diff(before, after)) {
      expected.set(id(d.source, d.key), `${d.before ? (d.after ? 'changed' : 'removed') : 'added'} ${d.before?.sha256 ?? '-'} ${d.after?.sha256 ?? '-'}`);
    }
    if (before === undefined && changes.length === 0) return '';
    const named = new Map<string, string>();
    for (const c of changes) named.set(id(c.source, c.key), `${c.change} ${c.before?.sha256 ?? '-'} ${c.after?.sha256 ?? '-'}`);
    const describe = (k: string): string => `"${k.split('\u0000').join(':')}"`;
    for (const [k, v] of expected) if (named.get(k) !== v) return `${describe(k)} changed but is ${named.has(k) ? 'named differently' : 'not named'}`;
    for (const k of named.keys()) if (!expected.has(k)) return `${describe(k)} is named but did not change`;
    return '';
  }

  /**
   * `head.json` is what check and status read: where it names a baseline or a snapshot, that must
   * be the tree the commit holds at `baseline`/`latest`, and the baseline's accept record must exist.
   */
  private async headConsistency(commit: CommitInfo, parentTree: string | undefined, target: string, problems: string[]): Promise<void> {
    // Unchanged since the parent (head, baseline and latest alike): already checked there.
    const ids = (tree: string): Promise<(string | undefined)[]> => Promise.all(['head.json', 'baseline', 'latest'].map((p) => this.pathOid(tree, `targets/${target}/${p}`)));
    if (parentTree !== undefined && (await ids(parentTree)).join() === (await ids(commit.tree)).join()) return;
    const blob = await this.blobAtPath(commit.tree, `targets/${target}/head.json`);
    const head = blob ? (safeParse(blob.toString('utf8')) as TargetHead | undefined) : undefined;
    if (!head) return;
    const at = `targets/${target}/head.json in commit ${commit.oid.slice(0, 12)}`;
    const [baseline, latest] = await Promise.all([this.pathOid(commit.tree, `targets/${target}/baseline`), this.pathOid(commit.tree, `targets/${target}/latest`)]);
    if ((head.baseline?.tree ?? undefined) !== baseline) add(problems, `${at} names baseline ${short(head.baseline?.tree)} but the baseline tree is ${short(baseline)}`);
    if (head.snapshot && head.snapshot.tree !== latest) add(problems, `${at} names snapshot tree ${short(head.snapshot.tree)} but the latest tree is ${short(latest)}`);
    if (head.baseline && isRecordId(head.baseline.accept)) {
      const acceptBlob = (await this.blobAtPath(commit.tree, recordPath(target, head.baseline.accept, 'accept'))) ?? (await this.blobAtPath(commit.tree, dayRecordPath(target, head.baseline.accept, 'accept')));
      const accepted = acceptBlob ? (safeParse(acceptBlob.toString('utf8')) as { baseline?: { after?: string } } | undefined) : undefined;
      if (accepted?.baseline?.after !== head.baseline.tree) add(problems, `${at} names accept ${head.baseline.accept}, which does not record baseline ${short(head.baseline.tree)}`);
    }
  }

  /**
   * True when walking the hash chain back from `last` through records the tree holds reaches
   * `path` with bytes hashing to `sha` (a squash holds the accept and the alert events after it).
   */
  private async chainReaches(tree: string, last: { path: string; sha256: string }, path: string, sha: string): Promise<boolean> {
    let cursor: { path: string; sha256: string } | null = last;
    for (let steps = 0; cursor && steps < 1000; steps++) {
      const blob = await this.blobAtPath(tree, cursor.path);
      if (!blob || createHash('sha256').update(blob).digest('hex') !== cursor.sha256) return false;
      if (cursor.path === path) return cursor.sha256 === sha;
      const chain = (safeParse(blob.toString('utf8')) as { chain?: { previous: string | null; sha256: string | null } } | undefined)?.chain;
      cursor = chain?.previous && chain.sha256 ? { path: chain.previous, sha256: chain.sha256 } : null;
    }
    return false;
  }

  private async chainLast(tree: string, target: string): Promise<{ path: string; sha256: string } | undefined> {
    const blob = await this.blobAtPath(tree, `targets/${target}/chain.json`);
    return blob ? (safeParse(blob.toString('utf8')) as { last?: { path: string; sha256: string } } | undefined)?.last : undefined;
  }

  /**
   * A `migrate` commit may change `ledger.json` and nothing else: `format` goes up, `created` is
   * kept, and `migrated.from` names the format before. Anything else it does is a problem.
   */
  private async isMigration(parentTree: string, commit: CommitInfo, problems: string[]): Promise<boolean> {
    const read = async (tree: string): Promise<LedgerMeta | undefined> => {
      const blob = await this.blobAtPath(tree, 'ledger.json');
      try {
        return blob ? (JSON.parse(blob.toString('utf8')) as LedgerMeta) : undefined;
      } catch {
        return undefined;
      }
    };
    const [before, after] = await Promise.all([read(parentTree), read(commit.tree)]);
    if (!before || !after || !(after.format > before.format) || after.created !== before.created || after.migrated?.from !== before.format) return false;
    const [rootBefore, rootAfter] = await Promise.all([this.ledger.store.readTree(parentTree), this.ledger.store.readTree(commit.tree)]);
    const others = (entries: StoredTreeEntry[]): string => entries.filter((e) => e.name !== 'ledger.json').map((e) => `${e.name} ${e.oid}`).join('\n');
    if (others(rootBefore) !== others(rootAfter)) add(problems, `migrate commit ${commit.oid.slice(0, 12)} changes more than ledger.json`);
    return true;
  }

  /**
   * The first commit of a ledger-set member made by `migrate --layout per-target`: `ledger.json`
   * becomes format 3 with `layout: per-target` and `member` (keeping `created`, `migrated.from`
   * naming the old format), and the commit only removes: other targets' `targets/<t>` subtrees,
   * and outbox and dead entries that belong to other members; what it keeps is unchanged, and
   * nothing else moves. False when the commit is not such a migration (then the usual rules apply).
   */
  private async isLayoutMigration(parentTree: string, commit: CommitInfo, problems: string[]): Promise<boolean> {
    const read = async (tree: string): Promise<LedgerMeta | undefined> => {
      const blob = await this.blobAtPath(tree, 'ledger.json');
      return blob ? (safeParse(blob.toString('utf8')) as LedgerMeta | undefined) : undefined;
    };
    const [before, after] = await Promise.all([read(parentTree), read(commit.tree)]);
    if (!before || !after || after.layout !== 'per-target' || before.layout !== undefined) return false;
    const at = `migrate commit ${commit.oid.slice(0, 12)}`;
    if (after.format !== 3 || typeof after.member !== 'string' || after.created !== before.created || after.migrated?.from !== before.format) {
      add(problems, `${at}: its ledger.json is not a member of a ledger set migrated from this branch (format 3, member, created kept, migrated.from ${before.format})`);
    }
    const [rootBefore, rootAfter] = await Promise.all([this.tree(parentTree), this.tree(commit.tree)]);
    const beforeByName = new Map(rootBefore.map((e) => [e.name, e]));
    for (const entry of rootAfter) {
      if (entry.name === 'ledger.json') continue;
      const was = beforeByName.get(entry.name);
      if (!was) {
        add(problems, `${at} adds ${entry.name}`);
        continue;
      }
      if (was.oid === entry.oid) continue;
      if (entry.name === 'targets') {
        const old = new Map((await this.tree(was.oid)).map((e) => [e.name, e.oid]));
        for (const t of await this.tree(entry.oid)) {
          if (t.name !== after.member) add(problems, `${at} on member "${String(after.member)}" keeps target "${t.name}"`);
          else if (old.get(t.name) !== t.oid) add(problems, `${at} changes targets/${t.name}`);
        }
      } else if (entry.name === 'outbox' || entry.name === 'dead') {
        const kept = await this.subtreeMismatch(was.oid, entry.oid, `${entry.name}/`);
        if (kept) add(problems, `${at} ${kept}`);
      } else add(problems, `${at} changes ${entry.name}`);
    }
    return true;
  }

  /** "" when every blob of `after` is in `before` at the same path with the same id, else what differs. */
  private async subtreeMismatch(before: string, after: string, prefix: string): Promise<string> {
    if (before === after) return '';
    const old = new Map((await this.tree(before)).map((e) => [e.name, e]));
    for (const entry of await this.tree(after)) {
      const was = old.get(entry.name);
      if (!was || was.type !== entry.type) return `adds ${prefix}${entry.name}`;
      if (entry.type === 'tree') {
        const inner = await this.subtreeMismatch(was.oid, entry.oid, `${prefix}${entry.name}/`);
        if (inner) return inner;
      } else if (was.oid !== entry.oid) return `changes ${prefix}${entry.name}`;
    }
    return '';
  }

  private async blobAtPath(tree: string, filepath: string): Promise<Buffer | undefined> {
    const oid = await this.pathOid(tree, filepath);
    if (!oid) return undefined;
    try {
      return await this.ledger.store.readBlob(oid);
    } catch {
      return undefined;
    }
  }

  /** Blob paths under `prefix` that `after` has and `before` lacks (or holds with other bytes). */
  private async addedPaths(before: string, after: string, prefix: string): Promise<string[]> {
    const dir = prefix.replace(/\/$/, '');
    const [a, b] = await Promise.all([this.pathOid(before, dir), this.pathOid(after, dir)]);
    const out: string[] = [];
    const walk = async (x: string | undefined, y: string, at: string): Promise<void> => {
      if (x === y) return;
      const old = new Map(x ? (await this.tree(x)).map((e) => [e.name, e.oid]) : []);
      for (const e of await this.tree(y)) {
        if (old.get(e.name) === e.oid) continue;
        if (e.type === 'tree') await walk(old.get(e.name), e.oid, `${at}${e.name}/`);
        else out.push(`${at}${e.name}`);
      }
    };
    if (b) await walk(a, b, prefix);
    return out;
  }

  /** Records (under targets/<t>/records, and dead/) present in `before` must be present and unchanged in `after`. */
  private async compareRecords(before: string, after: string, prefix: string, commit: CommitInfo, problems: string[]): Promise<void> {
    if (before === after) return;
    const [a, b] = await Promise.all([this.tree(before), this.tree(after)]);
    const inB = new Map(b.map((e) => [e.name, e]));
    for (const entry of a) {
      const path = prefix + entry.name;
      const depth = path.split('/').length;
      // Descend only towards records: targets/ → <target>/ → records/ → …, and dead/ → …
      const top = path.split('/')[0];
      if (depth === 1 && entry.name !== 'targets' && entry.name !== 'dead') continue;
      if (top === 'targets' && depth === 3 && entry.name !== 'records') continue;
      const other = inB.get(entry.name);
      const inRecords = top === 'dead' ? depth >= 2 : depth >= 3;
      if (!other) {
        if (inRecords) add(problems, `${path}${entry.type === 'tree' ? '/' : ''} deleted in commit ${commit.oid.slice(0, 12)}`);
        continue;
      }
      if (other.oid === entry.oid) continue;
      if (entry.type === 'tree' && other.type === 'tree') await this.compareRecords(entry.oid, other.oid, `${path}/`, commit, problems);
      else if (inRecords) add(problems, `${path} modified in commit ${commit.oid.slice(0, 12)}`);
    }
  }

  private async pathOid(tree: string, filepath: string): Promise<string | undefined> {
    let oid = tree;
    for (const part of filepath.split('/')) {
      const entry = (await this.tree(oid)).find((e) => e.name === part);
      if (!entry) return undefined;
      oid = entry.oid;
    }
    return oid;
  }

  /** Names of the targets in any of the trees. */
  private async targetNames(...trees: string[]): Promise<string[]> {
    const names = new Set<string>();
    for (const tree of trees) {
      const targets = await this.pathOid(tree, 'targets');
      if (targets) for (const e of await this.tree(targets)) if (e.type === 'tree') names.add(e.name);
    }
    return [...names];
  }

  /** Check 3. */
  async reproducible(): Promise<VerifyCheck> {
    const problems: string[] = [];
    for (const { path, commit, text } of this.reports) {
      const stored = safeParse(text) as DriftReport | undefined;
      if (!stored) continue; // already reported by the schema check
      try {
        const observed = new Set(stored.observed ?? []);
        const snapshotTree = stored.snapshot.tree ?? undefined;
        const current = observed.size > 0 ? await this.ledger.diff(undefined, snapshotTree) : [];
        const deltas = reportDeltas(await this.ledger.diff(stored.baseline.tree ?? undefined, snapshotTree), observed, (source) =>
          current.filter((d) => d.source === source && d.after).map((d) => [d.key, d.after as ManifestEntry] as [string, ManifestEntry]),
        );
        const { changes: computed, summary, status } = classifyDeltas(stored.target, deltas, stored.severity);
        // Attribution was observed in the work tree when the report was made: kept as recorded.
        const recorded = new Map((stored.changes ?? []).filter((c) => c.attribution).map((c) => [`${c.source}\u0000${c.key}`, c.attribution]));
        const changes = recorded.size === 0 ? computed : computed.map((c) => (recorded.has(`${c.source}\u0000${c.key}`) ? { ...c, attribution: recorded.get(`${c.source}\u0000${c.key}`) } : c));
        const recomputed = canonicalJson({ ...stored, status, summary, changes });
        if (recomputed !== text) add(problems, `${path}: recomputing it from the manifests it names gives different content (commit ${commit.slice(0, 12)})`);
      } catch (error) {
        add(problems, `${path}: cannot be recomputed (${(error as Error).message}) (commit ${commit.slice(0, 12)})`);
      }
    }
    return finish('reproducible', problems, `${this.reports.length} reports recomputed byte for byte`);
  }

  /** Record paths present in a commit's tree. */
  private async recordPathsAt(commit: string): Promise<Set<string>> {
    const paths = new Set<string>();
    const walk = async (oid: string, prefix: string): Promise<void> => {
      for (const e of await this.tree(oid)) {
        if (e.type === 'tree') await walk(e.oid, `${prefix}${e.name}/`);
        else paths.add(prefix + e.name);
      }
    };
    const root = (await this.commit(commit)).tree;
    for (const target of await this.targetNames(root)) {
      const records = await this.pathOid(root, `targets/${target}/records`);
      if (records) await walk(records, `targets/${target}/records/`);
    }
    return paths;
  }

  /** The record paths present at the tip, once `continuity` ran. */
  presentAtTip: Set<string> | undefined;

  /** Check 4: the chains as they stand at the tip. */
  async continuity(tip: string, checkpointsToProve: string[], reachable: Set<string>): Promise<VerifyCheck> {
    const problems: string[] = [];
    // Incremental: records are never deleted (the append-only check of every new commit says so),
    // so the records present are those of the verified point plus those added since.
    const present = this.incremental ? new Set(this.records.keys()) : await this.recordPathsAt(tip);
    this.presentAtTip = present;
    const byTarget = new Map<string, RecordInfo[]>();
    for (const record of this.records.values()) {
      if (!present.has(record.path)) continue;
      const list = byTarget.get(record.target) ?? [];
      list.push(record);
      byTarget.set(record.target, list);
    }
    let links = 0;
    for (const [target, records] of byTarget) {
      const chained = records.filter((r) => r.chain !== undefined);
      if (chained.length === 0) continue;
      // Records from before chains existed are accepted only before the target's first chained record.
      const firstChained = Math.min(...chained.map((r) => r.order));
      for (const r of records.filter((x) => x.chain === undefined && x.order > firstChained).slice(0, 5)) {
        add(problems, `${r.path}: not linked into target "${target}"'s hash chain, although earlier records are`);
      }
      const successors = new Map<string, string>();
      for (const record of chained) {
        const chain = record.chain as NonNullable<RecordInfo['chain']>;
        if (chain.previous === null) continue;
        const previous = present.has(chain.previous) ? this.records.get(chain.previous) : undefined;
        if (!previous) add(problems, `${record.path}: its previous record ${chain.previous} is missing from the ledger history`);
        else if (previous.sha256 !== chain.sha256) add(problems, `${record.path}: the hash of its previous record ${chain.previous} does not match (the record was altered)`);
        const other = successors.get(chain.previous);
        if (other) add(problems, `${record.path} and ${other} both follow ${chain.previous} (the chain forks)`);
        successors.set(chain.previous, record.path);
        links++;
      }
      // Walking back from the target's chain.json must reach every chained record.
      const head = await this.ledger.readJson<{ last: { path: string; sha256: string } }>(tip, chainPath(target));
      if (!head) {
        add(problems, `targets/${target}/chain.json is missing at the tip`);
        continue;
      }
      const reached = new Set<string>();
      let cursor: string | null = head.last.path;
      if (!present.has(head.last.path) || this.records.get(head.last.path)?.sha256 !== head.last.sha256) add(problems, `targets/${target}/chain.json does not match its last record ${head.last.path}`);
      while (cursor && !reached.has(cursor) && present.has(cursor)) {
        reached.add(cursor);
        cursor = this.records.get(cursor)?.chain?.previous ?? null;
      }
      // One chain per target: its start is the record the walk from chain.json ends at (the
      // earliest start when the walk reaches none). Records of one commit (a check's snapshot and
      // report) have no order among themselves, so the order of paths decides nothing here.
      const starts = chained.filter((r) => r.chain?.previous === null).sort((a, b) => a.order - b.order);
      const root = starts.find((r) => reached.has(r.path)) ?? starts[0];
      for (const r of starts.filter((x) => x !== root)) add(problems, `${r.path}: starts a new hash chain although target "${target}" already has one`);
      const unreached = chained.filter((r) => !reached.has(r.path));
      for (const r of unreached.slice(0, 5)) add(problems, `${r.path} is not on target "${target}"'s chain ending at chain.json`);
    }
    // Tips published from this machine must all be ancestors of the current tip.
    const checkpoints = [...new Set(checkpointsToProve)];
    for (const checkpoint of checkpoints) {
      // `reachable` holds every commit of the branch: one set lookup instead of a walk per checkpoint.
      if (!reachable.has(checkpoint)) {
        add(problems, `the ledger tip ${tip.slice(0, 12)} does not descend from ${checkpoint.slice(0, 12)}, a tip published earlier (history was rewound or rewritten)`);
      }
    }
    return finish('continuity', problems, `${links} hash-chain links across ${byTarget.size} target(s); tip descends from ${checkpoints.length} recorded checkpoint(s)`);
  }
}

function signatures(ledger: Ledger, commits: CommitInfo[], options: VerifyOptions): VerifyCheck {
  const problems: string[] = [];
  const signed = commits.filter((c) => c.gpgsig);
  if (signed.length === 0 && !options.requireSignatures) {
    return { id: 'signatures', status: 'SKIP', summary: 'no commit is signed (pass --require-signatures to demand signatures)', problems: [] };
  }
  for (const commit of commits) {
    if (!commit.gpgsig) {
      if (options.requireSignatures) add(problems, `commit ${commit.oid.slice(0, 12)} is not signed`);
      continue;
    }
    const check = verifyCommitSignature(ledger.store.gitdir, commit.oid, options.allowedSigners);
    if (!check.ok) add(problems, `commit ${commit.oid.slice(0, 12)}: signature does not verify${check.detail ? ` (${check.detail})` : ''}`);
  }
  return finish('signatures', problems, `${signed.length} signed commit(s) verified${options.allowedSigners ? ' against the allowed signers' : ''}`);
}

/**
 * Check 6: monitoring never stopped for longer than `--max-gap` (reports and heartbeats are the
 * evidence of checks; see ledger/gaps.ts). Without `--max-gap` it only reports the longest gap.
 */
function gapCheck(commits: IndexedCommit[], now: number, maxGapMs: number | undefined): VerifyCheck {
  const gaps = monitoringGaps(commits, now, maxGapMs ?? 0);
  const longest = gaps[0];
  const longestText = longest ? `longest gap ${formatGap(longest.ms)} (target "${longest.target}", ${longest.from} → ${longest.open ? 'now' : longest.to})` : 'no checks recorded yet';
  if (maxGapMs === undefined) return { id: 'gaps', status: 'SKIP', summary: `${longestText} (pass --max-gap to demand a limit)`, problems: [] };
  const problems: string[] = [];
  for (const gap of gaps) add(problems, `target "${gap.target}" was not checked for ${formatGap(gap.ms)}, from ${gap.from} to ${gap.open ? `now (${gap.to})` : gap.to} (--max-gap ${formatGap(maxGapMs)})`);
  return finish('gaps', problems, `no target went unchecked for longer than ${formatGap(maxGapMs)}`);
}

function short(oid: string | null | undefined): string {
  return oid ? oid.slice(0, 12) : 'none';
}

function finish(id: VerifyCheck['id'], problems: string[], summary: string): VerifyCheck {
  return { id, status: problems.length > 0 ? 'FAIL' : 'PASS', summary: problems.length > 0 ? `${problems.length}${problems.length >= MAX_PROBLEMS ? '+' : ''} problem(s)` : summary, problems };
}

function add(problems: string[], problem: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(problem);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const RECORD_SCHEMAS = new Set<SchemaName>(['snapshot', 'report', 'accept', 'alert', 'waiver', 'remediation', 'restore']);
function isRecordSchema(schema: SchemaName): boolean {
  return RECORD_SCHEMAS.has(schema);
}

/** "an accept commit", "a report commit", or, without a Drift-Kind trailer, "a commit without a Drift-Kind trailer". */
function describeKind(kind: string | undefined): string {
  if (!kind) return 'a commit without a Drift-Kind trailer';
  return `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} commit`;
}
