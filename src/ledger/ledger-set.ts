import { DriftError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { encodeTree, objectId, type TreeEntry } from './git-objects.js';
import type { CommitInfo, GitStore, Signature } from './git-store.js';
import { DEAD_DIR, formatCommitMessage, formatGroupMessage, LEDGER_FORMAT_SET, LEDGER_META_PATH, OUTBOX_DIR, parseTrailers, trailerValues, type Trailers } from './layout.js';
import { applyEdits, Ledger, LedgerWriter, type Edit } from './ledger.js';
import type { LedgerMeta } from './records.js';

/**
 * A ledger set (`ledger.layout: per-target`, ledger/FORMAT.md "Ledger sets"): one branch per
 * target, `refs/heads/<branch>/<target>`, plus `<branch>/_shared` for records of no target, read
 * as one ledger. Each member is a complete ledger of its own (format 3), so the per-branch
 * machinery (Ledger, remote sync, replay, verify, commit index) runs per member.
 *
 * Readers see the set through a *view*: a local commit (never pushed, kept at
 * `refs/driftctl/view/<branch>`, rebuilt only when a member tip moved) whose tree is the union of
 * the member trees and whose parents are the member tips, so that reading a path "at the tip"
 * works as on one branch; history is read per member and merged by time (commit-index.ts).
 * Writes are staged on the view as usual and routed path by path to the members (SetWriter).
 */
export const SHARED_MEMBER = '_shared';
export const VIEW_KIND = 'view';

export type LedgerLayout = 'branch' | 'per-target';

export function viewRef(branch: string): string {
  return `refs/driftctl/view/${branch}`;
}

export function memberBranch(branch: string, member: string): string {
  return `${branch}/${member}`;
}

/** Why `name` cannot be a member branch name (git's ref rules), or undefined when it can. */
export function refComponentProblem(name: string): string | undefined {
  if (name.includes('..')) return 'contains ".."';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.endsWith('.lock')) return 'ends with ".lock"';
  return undefined;
}

/** Which layout the repository holds for `branch`: a branch of that name, member branches below it, or nothing yet. */
export async function foundLayout(store: GitStore, branch: string): Promise<LedgerLayout | undefined> {
  if ((await listMembers(store, branch)).length > 0) return 'per-target';
  if (await store.resolveRef(`refs/heads/${branch}`)) return 'branch';
  return undefined;
}

async function listMembers(store: GitStore, branch: string): Promise<string[]> {
  return (await store.listRefsUnder(`refs/heads/${branch}`)).filter((name) => !name.includes('/'));
}

/** The members a view commit was built from (its `Drift-Member` trailers, in parent order). */
export function viewMembers(commit: Pick<CommitInfo, 'message' | 'parents'>): { name: string; tip: string }[] | undefined {
  if (parseTrailers(commit.message)['Drift-Kind'] !== VIEW_KIND) return undefined;
  const names = trailerValues(commit.message, 'Drift-Member');
  return names.map((name, i) => ({ name, tip: commit.parents[i] as string }));
}

export class LedgerSet extends Ledger {
  private readonly memberLedgers = new Map<string, Ledger>();

  constructor(store: GitStore, branch: string) {
    super(store, branch, viewRef(branch));
  }

  member(name: string): Ledger {
    let ledger = this.memberLedgers.get(name);
    if (!ledger) {
      ledger = new Ledger(this.store, memberBranch(this.branch, name), undefined, { member: true });
      this.memberLedgers.set(name, ledger);
    }
    return ledger;
  }

  /** Member names present in the repository, sorted. */
  async memberNames(): Promise<string[]> {
    return listMembers(this.store, this.branch);
  }

  /** Every member with its tip (each checked like a branch: a ledger, of a format this version reads). */
  async memberTips(): Promise<{ name: string; tip: string }[]> {
    const out: { name: string; tip: string }[] = [];
    for (const name of await this.memberNames()) {
      const tip = await this.member(name).tip();
      if (tip) out.push({ name, tip });
    }
    return out;
  }

  /** The view commit of the current member tips (built when they moved), or undefined when the set has no member yet. */
  override async tip(): Promise<string | undefined> {
    const members = await this.memberTips();
    if (members.length === 0) return undefined;
    const current = await this.store.resolveRef(this.ref);
    if (current) {
      const known = viewMembers(await this.store.readCommit(current));
      if (known && known.length === members.length && known.every((m, i) => m.name === members[i].name && m.tip === members[i].tip)) return current;
    }
    const view = await buildView(this.store, this.branch, members);
    await this.store.setRef(this.ref, view);
    return view;
  }

  override async formatAt(): Promise<number> {
    return LEDGER_FORMAT_SET;
  }

  override assertNotCheckedOut(): void {
    for (const ledger of this.memberLedgers.values()) ledger.assertNotCheckedOut();
  }

  override readCheckpoints(): string[] {
    return [];
  }

  override recordCheckpoint(): void {
    // Checkpoints are kept per member branch.
  }

  override writer(base: string | undefined, author: Signature): LedgerWriter {
    return new SetWriter(this, base, author);
  }
}

/**
 * The view of `members`: a commit whose tree is the union of the member trees (their `targets/<t>`
 * subtrees are disjoint, outbox and dead entries disjoint by id; where two hold one path, the
 * first member in name order wins) and whose parents are the member tips. Its id depends only on
 * the member tips, so two processes build the same commit.
 */
export async function buildView(store: GitStore, branch: string, members: { name: string; tip: string }[]): Promise<string> {
  const commits = await Promise.all(members.map((m) => store.readCommit(m.tip)));
  const tree = await unionTrees(store, commits.map((c) => c.tree));
  const timestamp = Math.max(...commits.map((c) => c.committer.timestamp));
  const signature: Signature = { name: 'driftctl', email: 'driftctl@localhost', timestamp, timezoneOffset: 0 };
  const message = `driftctl ledger view of ${branch} (${members.length} member${members.length === 1 ? '' : 's'})\n\nDrift-Kind: ${VIEW_KIND}\n${members.map((m) => `Drift-Member: ${m.name}`).join('\n')}\n`;
  return store.writeCommit({ tree, parents: members.map((m) => m.tip), message, author: signature, committer: signature });
}

async function unionTrees(store: GitStore, trees: string[]): Promise<string> {
  const unique = [...new Set(trees)];
  if (unique.length === 1) return unique[0];
  const byName = new Map<string, { mode: string; oid: string; type: string }[]>();
  for (const tree of unique) {
    for (const entry of await store.readTree(tree)) {
      const list = byName.get(entry.name) ?? [];
      list.push(entry);
      byName.set(entry.name, list);
    }
  }
  const entries: TreeEntry[] = [];
  for (const [name, list] of byName) {
    if (list.length > 1 && list.every((e) => e.type === 'tree')) {
      entries.push({ mode: '040000', name, oid: await unionTrees(store, list.map((e) => e.oid)) });
    } else entries.push({ mode: list[0].mode, name, oid: list[0].oid });
  }
  const content = encodeTree(entries);
  return store.writeObject('tree', content, objectId('tree', content));
}

/** The member a path belongs to by its place alone (`targets/<t>/…`), or undefined. */
function targetOfPath(filepath: string): string | undefined {
  const m = /^targets\/([^/]+)(\/|$)/.exec(filepath);
  return m ? m[1] : undefined;
}

/**
 * Stages commits on the view like LedgerWriter, and routes every edit to the member it belongs to:
 * `targets/<t>/…` to `t`; an outbox entry to the member that holds it already, else to the target
 * of the operation that adds it, or of the commit (a check's group) when that wrote one target
 * only, else to `_shared`; a dead entry to where the outbox entry it keeps was. Each view commit
 * becomes one commit on every member it touched, holding that member's edits and the subjects and
 * trailers of the operations that touched it. `publish` moves each member ref (only if it still
 * points where the write started), then the view. A new member starts with its own `ledger`
 * commit (format 3, `layout`, `member`).
 */
export class SetWriter extends LedgerWriter {
  private readonly baseMembers = new Map<string, string>();
  private readonly memberHeads = new Map<string, string>();
  private pending = new Map<string, { edits: Edit[]; parts: { subject: string; trailers: Trailers }[] }>();
  private loaded = false;

  constructor(
    private readonly set: LedgerSet,
    base: string | undefined,
    author: Signature,
  ) {
    super(set, base, author);
  }

  private async loadBase(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    if (!this.base) return;
    const members = viewMembers(await this.set.store.readCommit(this.base)) ?? [];
    for (const m of members) this.baseMembers.set(m.name, m.tip);
  }

  private headOf(member: string): string | undefined {
    return this.memberHeads.get(member) ?? this.baseMembers.get(member);
  }

  override async migrateFrom(): Promise<string | undefined> {
    return undefined;
  }

  override async commit(edits: Edit[], subject: string, trailers: Trailers): Promise<string> {
    await this.loadBase();
    const kind = trailers['Drift-Kind'];
    // An operation that is never grouped commits the group before it: route it after that.
    if (kind === 'accept' || kind === 'ledger' || kind === 'migrate') await this.flushGroup();
    const routed = await this.route(edits, trailers);
    for (const [member, memberEdits] of routed) {
      const p = this.pending.get(member) ?? { edits: [], parts: [] };
      p.edits.push(...memberEdits);
      if (!p.parts.some((part) => part.subject === subject && part.trailers === trailers)) p.parts.push({ subject, trailers });
      this.pending.set(member, p);
    }
    return super.commit(edits, subject, trailers);
  }

  private async route(edits: Edit[], trailers: Trailers): Promise<Map<string, Edit[]>> {
    const out = new Map<string, Edit[]>();
    const add = (member: string, edit: Edit): void => {
      const list = out.get(member) ?? [];
      list.push(edit);
      out.set(member, list);
    };
    const unplaced: Edit[] = [];
    for (const edit of edits) {
      if (edit.path === LEDGER_META_PATH) continue; // every member has its own
      const target = targetOfPath(edit.path);
      if (target !== undefined) add(target, edit);
      else unplaced.push(edit);
    }
    const targetsHere = [...out.keys()];
    // The operations of the commit being built (a check's group): a notification of a group that
    // wrote one target's records belongs to that target.
    const groupTargets = [...this.pending.keys()].filter((m) => m !== SHARED_MEMBER);
    // A dead entry is written beside the removal of the outbox entry it keeps: it goes where that was.
    let outboxOwner: string | undefined;
    for (const edit of unplaced) {
      let owner = await this.holderOf(edit.path);
      if (owner === undefined && edit.path.startsWith(`${DEAD_DIR}/`)) owner = outboxOwner;
      owner ??= trailers['Drift-Target'] ?? (targetsHere.length === 1 ? targetsHere[0] : targetsHere.length === 0 && groupTargets.length === 1 ? groupTargets[0] : SHARED_MEMBER);
      if (edit.path.startsWith(`${OUTBOX_DIR}/`)) outboxOwner = owner;
      add(owner, edit);
    }
    return out;
  }

  /** The member whose current head holds `filepath`. */
  private async holderOf(filepath: string): Promise<string | undefined> {
    const names = new Set([...this.baseMembers.keys(), ...this.memberHeads.keys()]);
    for (const name of names) {
      const head = this.headOf(name);
      if (head && (await this.set.store.lookupPath(head, filepath))) return name;
    }
    return undefined;
  }

  protected override async writeCommit(tree: string, message: string): Promise<string> {
    const oid = await super.writeCommit(tree, message);
    const pending = this.pending;
    this.pending = new Map();
    const store = this.set.store;
    for (const [member, p] of pending) {
      let head = this.headOf(member);
      if (head === undefined) head = await this.createMember(member);
      const baseTree = (await store.readCommit(head)).tree;
      const memberTree = await applyEdits(store, baseTree, p.edits);
      if (memberTree === baseTree) continue;
      const text = p.parts.length === 1 ? formatCommitMessage(p.parts[0].subject, p.parts[0].trailers) : formatGroupMessage(p.parts);
      const commit = await store.writeCommit({ tree: memberTree, parents: [head], message: text, author: this.author, committer: this.author });
      this.memberHeads.set(member, commit);
    }
    return oid;
  }

  private async createMember(member: string): Promise<string> {
    // A member this machine has seen (its checkpoints) is never started over: LEDGER_REF_LOST.
    if (await this.set.member(member).tip()) throw new DriftError('LEDGER_MOVED', `ledger branch "${memberBranch(this.set.branch, member)}" appeared during this run; nothing was written, run the command again`, { data: { member } });
    const time = new Date(this.author.timestamp * 1000).toISOString();
    const meta: LedgerMeta = { format: LEDGER_FORMAT_SET, kind: 'ledger', layout: 'per-target', member, created: time, tool: { name: 'driftctl', version: TOOL_VERSION } };
    const tree = await applyEdits(this.set.store, undefined, [LedgerWriter.meta(meta)]);
    const commit = await this.set.store.writeCommit({
      tree,
      parents: [],
      message: formatCommitMessage(`driftctl ledger created (member ${member} of ${this.set.branch})`, { 'Drift-Kind': 'ledger' }),
      author: this.author,
      committer: this.author,
    });
    this.memberHeads.set(member, commit);
    return commit;
  }

  /** Moves every member ref this write touched (each only if it is still where the write started), then the view. */
  override async publish(): Promise<string | undefined> {
    await this.flushGroup();
    const moved = [...this.memberHeads].filter(([name, head]) => head !== this.baseMembers.get(name));
    if (moved.length === 0) return this.base ?? (await this.set.tip());
    for (const [name] of moved) {
      const ledger = this.set.member(name);
      const current = await ledger.tip();
      const base = this.baseMembers.get(name);
      if (current !== base) {
        throw new DriftError('LEDGER_MOVED', `ledger branch "${ledger.branch}" moved during this run (was ${base ? base.slice(0, 12) : 'absent'}, now ${current ? current.slice(0, 12) : 'absent'}); nothing was written, run the command again`, {
          data: { expected: base, actual: current },
        });
      }
      ledger.assertNotCheckedOut();
    }
    for (const [name, head] of moved) {
      const ledger = this.set.member(name);
      await this.set.store.setRef(ledger.ref, head);
      ledger.recordCheckpoint(head);
    }
    try {
      await this.set.store.packIfDue();
    } catch {
      // Packing only saves space (see LedgerWriter.publish).
    }
    return this.set.tip();
  }
}
