import { DriftError } from '../errors.js';
import type { GitStore, StoredTreeEntry } from './git-store.js';
import { LEDGER_META_PATH, parseTrailers } from './layout.js';
import { applyEdits, type Edit, type Ledger } from './ledger.js';

/**
 * Remote sync of a linear ledger branch: where a local tip and a remote tip part, and how the
 * local-only commits are replayed on top of the remote tip.
 *
 * Replay is a three-way tree merge per commit: the commit's changes against its parent (its edit
 * list: the same blobs, trees and removals the LedgerWriter staged) are applied to the new base,
 * path by path, reading only subtrees whose ids differ. Agents write disjoint paths (their own
 * `targets/<t>/`, unique `outbox/<id>.json` files, record ids that never repeat), so a replay
 * always applies cleanly; a path that both sides changed differently is a REMOTE_CONFLICT (two
 * machines writing one target), and nothing moves. Subject, trailers, author and committer are
 * kept, so the replayed commit says exactly what the original said.
 */
export interface Divergence {
  /** The last commit both histories share; undefined when they share none. */
  base: string | undefined;
  /** Commits on the local side that the remote lacks, oldest first. */
  localOnly: string[];
  /** True when the remote has commits the local side lacks. */
  remoteAhead: boolean;
}

/** Walks both (linear, first-parent) histories back in step until they meet. */
export async function divergence(store: GitStore, local: string, remote: string): Promise<Divergence> {
  if (local === remote) return { base: local, localOnly: [], remoteAhead: false };
  const seenLocal = new Map<string, number>();
  const seenRemote = new Set<string>();
  const localList: string[] = [];
  let l: string | undefined = local;
  let r: string | undefined = remote;
  let base: string | undefined;
  while (l !== undefined || r !== undefined) {
    if (l !== undefined) {
      if (seenRemote.has(l)) {
        base = l;
        break;
      }
      seenLocal.set(l, localList.length);
      localList.push(l);
      l = (await store.readCommit(l)).parents[0];
    }
    if (r !== undefined) {
      if (seenLocal.has(r)) {
        base = r;
        break;
      }
      seenRemote.add(r);
      r = (await store.readCommit(r)).parents[0];
    }
  }
  const cut = base !== undefined && seenLocal.has(base) ? (seenLocal.get(base) as number) : localList.length;
  return { base, localOnly: localList.slice(0, cut).reverse(), remoteAhead: base !== remote };
}

export interface ReplayResult {
  tip: string;
  /** Old commit id → replayed commit id. */
  replayed: Map<string, string>;
  /** Commits with nothing left to apply (already on the base, or a second "ledger created" root). */
  dropped: string[];
}

/** Rebuilds `commits` (oldest first) on top of `onto`; writes objects, never moves a ref. */
export async function replayCommits(ledger: Ledger, commits: string[], onto: string): Promise<ReplayResult> {
  const store = ledger.store;
  let head = onto;
  const replayed = new Map<string, string>();
  const dropped: string[] = [];
  for (const oid of commits) {
    const commit = await store.readCommit(oid);
    const headTree = (await store.readCommit(head)).tree;
    // Two agents that both created the ledger on an empty remote: keep the one already there.
    if (commit.parents.length === 0 && parseTrailers(commit.message)['Drift-Kind'] === 'ledger' && (await store.lookupPath(head, LEDGER_META_PATH))) {
      dropped.push(oid);
      continue;
    }
    // Two agents that both migrated a format-1 ledger: keep the migration already there.
    if (parseTrailers(commit.message)['Drift-Kind'] === 'migrate' && (await formatOf(ledger, head)) >= (await formatOf(ledger, oid))) {
      dropped.push(oid);
      continue;
    }
    const parentTree = commit.parents[0] ? (await store.readCommit(commit.parents[0])).tree : undefined;
    const edits: Edit[] = [];
    const conflicts: string[] = [];
    await merge3(store, '', node(parentTree), node(commit.tree), node(headTree), edits, conflicts);
    if (conflicts.length > 0) {
      const subject = commit.message.split('\n')[0];
      throw new DriftError(
        'REMOTE_CONFLICT',
        `cannot replay local commit ${oid.slice(0, 12)} ("${subject}") on the remote ledger: ${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : ''} changed on both sides (each target must be written by one machine); nothing was changed locally`,
        { data: { commit: oid, paths: conflicts } },
      );
    }
    const tree = edits.length > 0 ? await applyEdits(store, headTree, edits) : headTree;
    if (tree === headTree) {
      dropped.push(oid);
      continue;
    }
    head = await store.writeCommit({ tree, parents: [head], message: commit.message, author: commit.author, committer: commit.committer });
    replayed.set(oid, head);
  }
  return { tip: head, replayed, dropped };
}

async function formatOf(ledger: Ledger, commit: string): Promise<number> {
  const meta = await ledger.readJson<{ format?: unknown }>(commit, LEDGER_META_PATH);
  return typeof meta?.format === 'number' ? meta.format : 1;
}

type Node = { oid: string; type: StoredTreeEntry['type'] } | undefined;

function node(tree: string | undefined): Node {
  return tree ? { oid: tree, type: 'tree' } : undefined;
}

function same(a: Node, b: Node): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.oid === b.oid && a.type === b.type;
}

function treeOrAbsent(n: Node): boolean {
  return n === undefined || n.type === 'tree';
}

async function children(store: GitStore, n: Node): Promise<Map<string, Node>> {
  const out = new Map<string, Node>();
  if (n) for (const e of await store.readTree(n.oid)) out.set(e.name, { oid: e.oid, type: e.type });
  return out;
}

/** Collects the edits that carry before→after onto current; paths changed differently on both sides are conflicts. */
async function merge3(store: GitStore, at: string, before: Node, after: Node, current: Node, edits: Edit[], conflicts: string[]): Promise<void> {
  if (same(before, after)) return;
  if (at !== '') {
    if (same(current, before)) {
      if (after === undefined) edits.push({ path: at, remove: true });
      else if (after.type === 'tree') edits.push({ path: at, tree: after.oid });
      else if (after.type === 'blob') edits.push({ path: at, blob: await store.readBlob(after.oid) });
      else conflicts.push(at);
      return;
    }
    if (same(current, after)) return;
  }
  if (!(treeOrAbsent(before) && treeOrAbsent(after) && treeOrAbsent(current))) {
    conflicts.push(at);
    return;
  }
  const [b, a, c] = await Promise.all([children(store, before), children(store, after), children(store, current)]);
  const names = new Set([...b.keys(), ...a.keys(), ...c.keys()]);
  for (const name of [...names].sort()) {
    await merge3(store, at === '' ? name : `${at}/${name}`, b.get(name), a.get(name), c.get(name), edits, conflicts);
  }
}
