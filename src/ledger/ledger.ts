import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TargetManifest } from '../drift/manifest.js';
import { parseJsonKeepingIntegers } from '../drift/exact-json.js';
import { DriftError } from '../errors.js';
import type { SchemaName } from '../schemas.js';
import { encodeTree, objectId, parseTreeObject, type TreeEntry } from './git-objects.js';
import type { GitStore, Signature } from './git-store.js';
import { baselinePath, chainPath, formatCommitMessage, formatGroupMessage, latestPath, legacyRecordPath, LEDGER_FORMAT, LEDGER_FORMAT_READ, LEDGER_FORMAT_SET, LEDGER_META_PATH, parseTrailers, recordPath, type RecordKind, type Trailers } from './layout.js';
import { diffManifests, parseShard, readManifest, type BuiltManifest, type EntryDelta, type ObjectReader } from './manifest-tree.js';
import { encodeRecord, type LedgerMeta } from './records.js';
import { writeFileAtomic } from '../write-atomic.js';
import { TOOL_VERSION } from '../version.js';

/**
 * The ledger branch as a database: reads resolve paths in commits; writes are staged in a
 * LedgerWriter and land as one or more commits with a single ref update at the end.
 */
export class Ledger {
  readonly ref: string;

  /**
   * The newest format this ledger reads: a single branch reads up to LEDGER_FORMAT; a member branch
   * of a ledger set (ledger-set.ts) up to LEDGER_FORMAT_SET. A set member read as a single branch is
   * refused as newer, never misread as a whole ledger.
   */
  readonly maxFormat: number;

  constructor(
    readonly store: GitStore,
    readonly branch: string,
    ref?: string,
    options: { member?: boolean } = {},
  ) {
    this.ref = ref ?? `refs/heads/${branch}`;
    this.maxFormat = options.member ? LEDGER_FORMAT_READ : LEDGER_FORMAT;
  }

  private readonly ledgerTips = new Set<string>();

  /**
   * The branch's tip, or undefined when there is no ledger yet. Refuses (LEDGER_BRANCH_CHECKED_OUT)
   * a user's branch checked out in a work tree (absent, or not a ledger; see assertNotCheckedOut);
   * (NOT_A_LEDGER) a tip whose tree has no `ledger.json`; and (LEDGER_REF_LOST) a missing or unreadable ref when this
   * machine has seen the ledger (its ref file, reflog or checkpoints), so nothing starts over on
   * top of a lost history.
   */
  async tip(): Promise<string | undefined> {
    const tip = await this.store.resolveRef(this.ref);
    if (tip === undefined) {
      this.assertNotCheckedOut();
      this.refuseLostRef();
      return undefined;
    }
    if (!this.ledgerTips.has(tip)) {
      if (!(await this.store.lookupPath(tip, LEDGER_META_PATH))) {
        this.assertNotCheckedOut();
        throw new DriftError(
          'NOT_A_LEDGER',
          `branch "${this.branch}" in ${this.store.gitdir} points at ${tip.slice(0, 12)}, which is not a driftctl ledger (no ${LEDGER_META_PATH}): set ledger.branch to a branch of its own, or put the ledger back (git reflog ${this.branch}; git update-ref ${this.ref} <ledger commit>)`,
          { data: { branch: this.branch, tip } },
        );
      }
      await this.formatAt(tip);
      this.ledgerTips.add(tip);
    }
    return tip;
  }

  /**
   * The format `ledger.json` states at `commit` (1 when unreadable as a number). Throws
   * LEDGER_FORMAT_NEWER for a format newer than this version reads: reading it as an older one
   * would misread it, and writing to it would mix formats.
   */
  async formatAt(commit: string): Promise<number> {
    const meta = await this.readJson<{ format?: unknown }>(commit, LEDGER_META_PATH);
    const format = typeof meta?.format === 'number' ? meta.format : 1;
    if (format > this.maxFormat) {
      const set = format === LEDGER_FORMAT_SET && this.maxFormat < LEDGER_FORMAT_SET ? ` (or, if it is a member branch of a per-target ledger set, set ledger.branch to the set's name and ledger.layout: per-target)` : '';
      throw new DriftError(
        'LEDGER_FORMAT_NEWER',
        `branch "${this.branch}" in ${this.store.gitdir}: ledger.json says format ${format}, and driftctl ${TOOL_VERSION} reads formats 1 to ${this.maxFormat}: upgrade driftctl to read or write this ledger${set}`,
        { data: { branch: this.branch, format, reads: this.maxFormat } },
      );
    }
    return format;
  }

  /**
   * Throws LEDGER_BRANCH_CHECKED_OUT when the branch is checked out in a work tree: moving it would
   * move the user's branch under their files and index. Reading a checked-out ledger (a clone of a
   * ledger repository, for an audit) is fine; every ref move asks this first.
   */
  assertNotCheckedOut(): void {
    if (!this.store.checkedOutBranches().includes(this.branch)) return;
    throw new DriftError(
      'LEDGER_BRANCH_CHECKED_OUT',
      `ledger.branch "${this.branch}" is checked out in ${this.store.workdir ?? 'a work tree'}: the ledger needs a branch of its own, never one with a work tree (the default is drift-ledger); change ledger.branch in the config`,
      { data: { branch: this.branch } },
    );
  }

  /** Throws LEDGER_REF_LOST when the branch is gone but this machine holds traces of it. */
  private refuseLostRef(): void {
    const traces: string[] = [];
    const refFile = path.join(this.store.gitdir, ...this.ref.split('/'));
    const broken = existsSync(refFile);
    if (broken) traces.push(`the ref file ${refFile} exists but names no commit`);
    const reflog = readLines(path.join(this.store.gitdir, 'logs', ...this.ref.split('/')))
      .map((line) => line.split(' ')[1])
      .filter((oid) => oid && /^[0-9a-f]{40}$/.test(oid) && !/^0+$/.test(oid));
    const checkpoints = this.readCheckpoints();
    if (reflog.length > 0) traces.push(`its reflog ends at ${reflog[reflog.length - 1].slice(0, 12)}`);
    if (checkpoints.length > 0) traces.push(`this machine published ${checkpoints[checkpoints.length - 1].slice(0, 12)} (${this.checkpointFile})`);
    if (traces.length === 0) return;
    const last = reflog[reflog.length - 1] ?? checkpoints[checkpoints.length - 1];
    throw new DriftError(
      'LEDGER_REF_LOST',
      `the ledger branch "${this.branch}" in ${this.store.gitdir} is missing or damaged although ${traces.join(', and ')}: nothing was written; restore it (${last ? `${broken ? `rm ${refFile} && ` : ''}git update-ref ${this.ref} ${last}, ` : ''}or "driftctl pull" from the ledger remote), then run "driftctl verify"; to start a new ledger on purpose, delete ${this.checkpointFile} and the branch first`,
      { data: { branch: this.branch, last } },
    );
  }

  /** Tip, or a NOT_INITIALIZED error telling the user to run init. */
  async requireTip(): Promise<string> {
    const tip = await this.tip();
    if (!tip) {
      throw new DriftError('NOT_INITIALIZED', `no ledger branch "${this.branch}" in ${this.store.gitdir} (run "driftctl init" first)`, {
        data: { branch: this.branch },
      });
    }
    return tip;
  }

  async treeAt(commit: string, filepath: string): Promise<string | undefined> {
    const found = await this.store.lookupPath(commit, filepath);
    return found?.type === 'tree' ? found.oid : undefined;
  }

  /** The blob at `filepath`; a record asked for at its hour path is also found at its format-1 day path. */
  async blobAt(commit: string, filepath: string): Promise<Buffer | undefined> {
    let found = await this.store.lookupPath(commit, filepath);
    if (!found) {
      const legacy = legacyRecordPath(filepath);
      if (legacy) found = await this.store.lookupPath(commit, legacy);
    }
    return found?.type === 'blob' ? this.store.readBlob(found.oid) : undefined;
  }

  async readJson<T>(commit: string, filepath: string): Promise<T | undefined> {
    const blob = await this.blobAt(commit, filepath);
    return blob ? (parseJsonKeepingIntegers(blob.toString('utf8')) as T) : undefined;
  }

  async latestTree(commit: string, target: string): Promise<string | undefined> {
    return this.treeAt(commit, latestPath(target));
  }

  async baselineTree(commit: string, target: string): Promise<string | undefined> {
    return this.treeAt(commit, baselinePath(target));
  }

  /**
   * Every tip this machine published is appended to `driftctl/checkpoints` (outside the branch),
   * so `verify` can prove the branch was never rewound or rewritten behind driftctl's back.
   */
  get checkpointFile(): string {
    return path.join(this.store.gitdir, 'driftctl', 'checkpoints');
  }

  recordCheckpoint(tip: string): void {
    mkdirSync(path.dirname(this.checkpointFile), { recursive: true });
    appendFileSync(this.checkpointFile, `${tip} ${this.branch}\n`);
  }

  /**
   * After local commits were replayed on top of a remote tip (remote sync), the tips they made are
   * gone from the branch: their checkpoints are replaced by the new tip, so that `verify` keeps
   * demanding every tip this machine published that still matters. Only never-pushed commits are
   * ever replayed.
   */
  replaceCheckpoints(replaced: Set<string>, tip: string): void {
    let lines: string[] = [];
    try {
      lines = readFileSync(this.checkpointFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      // No checkpoints yet.
    }
    const kept = lines.filter((line) => !replaced.has(line.split(' ')[0] ?? ''));
    kept.push(`${tip} ${this.branch}`);
    writeFileAtomic(this.checkpointFile, `${kept.join('\n')}\n`);
  }

  readCheckpoints(): string[] {
    try {
      return readFileSync(this.checkpointFile, 'utf8')
        .split('\n')
        .map((line) => line.split(' '))
        .filter(([oid, branch]) => /^[0-9a-f]{40}$/.test(oid ?? '') && branch === this.branch)
        .map(([oid]) => oid as string);
    } catch {
      return [];
    }
  }

  /** Names of the targets that have data on the ledger at `commit`. */
  async targetsAt(commit: string): Promise<string[]> {
    const tree = await this.treeAt(commit, 'targets');
    if (!tree) return [];
    return (await this.store.readTree(tree)).filter((e) => e.type === 'tree').map((e) => e.name);
  }

  async diff(from: string | undefined, to: string | undefined, extra?: BuiltManifest): Promise<EntryDelta[]> {
    return diffManifests(this.reader(extra), from, to);
  }

  async readManifest(tree: string | undefined, extra?: BuiltManifest): Promise<TargetManifest> {
    return readManifest(this.reader(extra), tree);
  }

  /** A reader that sees manifest objects built in memory before the store. */
  reader(extra?: BuiltManifest): ObjectReader {
    const store = this.store;
    const parse = (content: Buffer): { name: string; oid: string; type: string }[] => parseTreeObject(content);
    return {
      async readTree(oid) {
        const fresh = extra?.objects.get(oid);
        if (fresh) return parse(fresh.content);
        return store.readTree(oid);
      },
      async readBlob(oid) {
        const fresh = extra?.objects.get(oid);
        if (fresh) return fresh.content;
        return store.readBlob(oid);
      },
      // Inside a batch (verify), each stored shard is parsed once; outside, every read parses anew.
      async readShard(oid) {
        const fresh = extra?.objects.get(oid);
        if (fresh) return parseShard(fresh.content);
        return store.batchMemo(`shard\u0000${oid}`, async () => parseShard(await store.readBlob(oid)));
      },
    };
  }

  /** Starts a write on top of `base` (undefined: a new, orphan branch). */
  writer(base: string | undefined, author: Signature): LedgerWriter {
    return new LedgerWriter(this, base, author);
  }

  /** Parsed trailers and subject of a commit, for log and status. */
  static describe(message: string): { subject: string; trailers: Record<string, string> } {
    return { subject: message.split('\n')[0], trailers: parseTrailers(message) };
  }
}

export interface ChainLink {
  path: string;
  sha256: string;
}

/** `targets/<target>/chain.json`. */
export interface ChainState {
  format: 1;
  kind: 'chain';
  target: string;
  last: ChainLink;
}

/** Edits to apply to a tree: a path set to a blob's bytes or to an existing tree. */
export type Edit = { path: string; blob: Buffer } | { path: string; tree: string } | { path: string; remove: true };

/**
 * Stages commits on top of a base commit. Nothing is visible until `publish`, which moves the
 * branch ref once, after every object is written, and only if the branch still points at the base.
 */
export class LedgerWriter {
  private head: string | undefined;
  protected readonly commits: string[] = [];

  constructor(
    protected readonly ledger: Ledger,
    protected readonly base: string | undefined,
    protected readonly author: Signature,
  ) {
    this.head = base;
  }

  get headCommit(): string | undefined {
    return this.head;
  }

  /**
   * Writes the objects of a manifest built in memory that the store lacks. With `previous` (the
   * manifest tree the target's ledger already holds, for example its latest snapshot), subtrees
   * whose ids equal the tree at the same path in `previous` are known to exist and are skipped
   * without being read; only the trees on changed paths are compared. No local cache decides what
   * exists, and every object written is checked against its id (OBJECT_ID_MISMATCH).
   */
  async writeManifest(built: BuiltManifest, previous?: string): Promise<number> {
    const store = this.ledger.store;
    let written = 0;
    const visit = async (oid: string, old: string | undefined): Promise<void> => {
      if (oid === old) return;
      const object = built.objects.get(oid);
      if (!object) return; // an object the build reused from the store as it is
      if (object.type === 'tree') {
        const before = old ? new Map((await store.readTree(old)).map((e) => [e.name, e.oid])) : undefined;
        for (const child of parseTreeObject(object.content)) await visit(child.oid, before?.get(child.name));
      }
      if (store.hasLooseObject(oid)) return;
      await store.writeObject(object.type, object.content, oid);
      written++;
    };
    await visit(built.oid, previous);
    return written;
  }

  private group: { tree: string | undefined; parts: { subject: string; trailers: Trailers }[] } | undefined;

  /**
   * From now until `endGroup` (or `publish`), operations staged with `commit` land together in one
   * commit: a check's snapshot, report, heartbeat, alert events and outbox changes. Any caller
   * that stages a record kind (including new ones) through `record` + `commit` gets this for
   * free. An `accept` (or `ledger`) commit is never grouped: the group so far is committed first,
   * the accept gets a commit of its own (verify demands it), and grouping goes on after it.
   */
  beginGroup(): void {
    this.group ??= { tree: undefined, parts: [] };
  }

  /** Commits what the group holds (nothing when it is empty) and stops grouping. Returns the head. */
  async endGroup(): Promise<string | undefined> {
    await this.flushGroup();
    this.group = undefined;
    return this.head;
  }

  protected async flushGroup(): Promise<void> {
    const group = this.group;
    if (!group || group.parts.length === 0) return;
    const parts = group.parts;
    this.group = { tree: undefined, parts: [] };
    await this.writeCommit(group.tree as string, parts.length === 1 ? formatCommitMessage(parts[0].subject, parts[0].trailers) : formatGroupMessage(parts));
  }

  /**
   * Adds one operation: the edits applied to the current head's tree. Outside a group this is one
   * commit, and its id is returned; inside a group the operation waits for the group's commit, and
   * the id returned is the head before it (the group's commit does not exist yet).
   */
  async commit(edits: Edit[], subject: string, trailers: Trailers): Promise<string> {
    const store = this.ledger.store;
    const kind = trailers['Drift-Kind'];
    if (!this.formatChecked && kind !== 'ledger' && kind !== 'migrate') {
      this.formatChecked = true;
      if (this.head) await this.migrateFrom(this.head);
    }
    if (this.group && kind !== 'accept' && kind !== 'ledger' && kind !== 'migrate') {
      const from = this.group.tree ?? (this.head ? (await store.readCommit(this.head)).tree : undefined);
      this.group.tree = await applyEdits(store, from, edits);
      this.group.parts.push({ subject, trailers });
      return this.head ?? '';
    }
    await this.flushGroup();
    const baseTree = this.head ? (await store.readCommit(this.head)).tree : undefined;
    const tree = await applyEdits(store, baseTree, edits);
    return this.writeCommit(tree, formatCommitMessage(subject, trailers));
  }

  private formatChecked = false;

  /**
   * Before the first write on top of a format-1 ledger, one `migrate` commit that changes nothing
   * but `ledger.json` (format 2, and `migrated: {from, time, tool}`), so the ledger states format 2
   * from the first commit that holds format-2 content. Returns the commit, or undefined when the
   * ledger at `head` is already of the current format.
   */
  async migrateFrom(head: string): Promise<string | undefined> {
    const meta = await this.ledger.readJson<LedgerMeta>(head, LEDGER_META_PATH);
    if (!meta || meta.format >= LEDGER_FORMAT) return undefined;
    const time = new Date(this.author.timestamp * 1000).toISOString();
    const migrated: LedgerMeta = { ...meta, format: LEDGER_FORMAT as LedgerMeta['format'], migrated: { from: meta.format, time, tool: { name: 'driftctl', version: TOOL_VERSION } } };
    await this.flushGroup();
    const tree = await applyEdits(this.ledger.store, (await this.ledger.store.readCommit(head)).tree, [LedgerWriter.meta(migrated)]);
    return this.writeCommit(tree, formatCommitMessage(`driftctl ledger migrated to format ${LEDGER_FORMAT}`, { 'Drift-Kind': 'migrate' }));
  }

  protected async writeCommit(tree: string, message: string): Promise<string> {
    const oid = await this.ledger.store.writeCommit({
      tree,
      parents: this.head ? [this.head] : [],
      message,
      author: this.author,
      committer: this.author,
    });
    this.head = oid;
    this.commits.push(oid);
    return oid;
  }

  private readonly chains = new Map<string, ChainLink | null>();

  /**
   * The edits that add one immutable record: the record itself, linked into its target's hash
   * chain (`chain: {previous, sha256}` names the target's previous record and the sha256 of its
   * bytes), and the updated `targets/<target>/chain.json`. Validated against the schema first.
   * Records staged in the same writer chain in the order they are staged.
   */
  async record(target: string, id: string, kind: RecordKind, record: object): Promise<Edit[]> {
    let last = this.chains.get(target);
    if (last === undefined) {
      const stored = this.head ? await this.ledger.readJson<ChainState>(this.head, chainPath(target)) : undefined;
      last = stored?.last ?? null;
    }
    // The caller's object gets the chain too, so what a command prints is what the ledger holds.
    const chained = Object.assign(record, { chain: { previous: last?.path ?? null, sha256: last?.sha256 ?? null } });
    const path = recordPath(target, id, kind);
    const blob = encodeRecord(kind as SchemaName, chained);
    const link: ChainLink = { path, sha256: createHash('sha256').update(blob).digest('hex') };
    this.chains.set(target, link);
    const state: ChainState = { format: 1, kind: 'chain', target, last: link };
    return [
      { path, blob },
      { path: chainPath(target), blob: encodeRecord('chain', state) },
    ];
  }

  static meta(meta: LedgerMeta): Edit {
    return { path: LEDGER_META_PATH, blob: encodeRecord('ledger', meta) };
  }

  /** Moves the branch to the last commit; fails if someone else moved it since `base`. */
  async publish(): Promise<string | undefined> {
    await this.flushGroup();
    if (this.commits.length === 0) return this.head;
    const current = await this.ledger.tip();
    if (current !== this.base) {
      throw new DriftError('LEDGER_MOVED', `ledger branch "${this.ledger.branch}" moved during this run (was ${short(this.base)}, now ${short(current)}); nothing was written, run the command again`, {
        data: { expected: this.base, actual: current },
      });
    }
    this.ledger.assertNotCheckedOut();
    await this.ledger.store.setRef(this.ledger.ref, this.head as string);
    this.ledger.recordCheckpoint(this.head as string);
    try {
      await this.ledger.store.packIfDue();
    } catch {
      // Packing only saves space: the ref has moved and the ledger is whole; the lists it works
      // from are kept, so the next write tries again.
    }
    return this.head;
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function short(oid: string | undefined): string {
  return oid ? oid.slice(0, 12) : 'absent';
}

interface DraftTree {
  entries: Map<string, { mode: string; oid: string } | DraftTree>;
}

/** Applies edits to a tree, reading only the trees on the edited paths and writing only the new ones. */
export async function applyEdits(store: GitStore, baseTree: string | undefined, edits: Edit[]): Promise<string> {
  const load = async (oid: string | undefined): Promise<DraftTree> => {
    const entries: DraftTree['entries'] = new Map();
    if (oid) for (const e of await store.readTree(oid)) entries.set(e.name, { mode: e.mode, oid: e.oid });
    return { entries };
  };
  const root = await load(baseTree);
  for (const edit of edits) {
    const parts = edit.path.split('/');
    const leaf = parts.pop() as string;
    let node = root;
    for (const part of parts) {
      const existing = node.entries.get(part);
      let child: DraftTree;
      if (existing && 'entries' in existing) child = existing;
      else child = await load(existing && (existing.mode === '40000' || existing.mode === '040000') ? existing.oid : undefined);
      node.entries.set(part, child);
      node = child;
    }
    if ('remove' in edit) {
      node.entries.delete(leaf);
    } else if ('blob' in edit) {
      node.entries.set(leaf, { mode: '100644', oid: await store.writeObject('blob', edit.blob) });
    } else {
      node.entries.set(leaf, { mode: '40000', oid: edit.tree });
    }
  }
  const write = async (node: DraftTree): Promise<string> => {
    const entries: TreeEntry[] = [];
    for (const [name, value] of node.entries) {
      if ('entries' in value) {
        if (value.entries.size === 0) continue; // git has no empty directories
        entries.push({ mode: '040000', name, oid: await write(value) });
      } else entries.push({ mode: value.mode, name, oid: value.oid });
    }
    const content = encodeTree(entries);
    return store.writeObject('tree', content, objectId('tree', content));
  };
  return write(root);
}

