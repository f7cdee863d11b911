import { CatFileReader, parseCommitObject, parseSignatureLine, streamReachableObjects, type GitObject } from './cat-file.js';
import { noteLooseObjects, notePacks, packIfDue, packNames, type PackOutcome } from './packer.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { classifyRequestError } from '../http/request-errors.js';
import { DriftError } from '../errors.js';
import { createAtomicFs } from './atomic-fs.js';
import { objectId, parseTreeObject, type GitObjectType } from './git-objects.js';

/**
 * The only adapter to isomorphic-git. It works at the object level (blobs, trees, commits, refs):
 * it never checks out, never reads or writes the index, and never moves HEAD, so the user's work
 * tree is untouched. Writes go through an atomic file system, so a killed process leaves either a
 * complete object or ref file or none.
 */
export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Minutes, as isomorphic-git and git define it (UTC is 0). */
  timezoneOffset: number;
}

export interface CommitInfo {
  oid: string;
  message: string;
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  /** The commit's signature (SSH or GPG armour), when it is signed. */
  gpgsig?: string;
}

export interface StoredTreeEntry {
  name: string;
  oid: string;
  type: 'tree' | 'blob' | 'commit';
  mode: string;
}

/** How many bytes of object contents a batch keeps in memory (preloaded objects; blobs read without git). */
export const BATCH_CACHE_BYTES = 256 * 1024 * 1024;

/** Objects streamed ahead of a walk (GitStore.prefetchReachable). */
interface Prefetch {
  objects: Map<string, GitObject>;
  /** Reads waiting for an object still on its way; woken with undefined when the last stream ends. */
  waiters: Map<string, ((object: GitObject | undefined) => void)[]>;
  bytes: number;
  /** Streams still running; reads wait only while some are. */
  active: number;
  streams: { stop(): void }[];
}

/** How many objects a GitStore keeps in memory after reading them, and the largest blob it keeps. */
const OBJECT_MEMO_LIMIT = 4096;
const SMALL_BLOB_BYTES = 64 * 1024;

export class GitStore {
  readonly gitdir: string;
  /** The work tree, if the repository has one (only used for display). */
  readonly workdir: string | undefined;
  private readonly fs: { promises: typeof fs.promises };
  private readonly cache: object = {};
  /**
   * Commits, trees and small blobs already read by this store, by id (objects are immutable, so a
   * hit is the object itself). Bounded: emptied when full. Paths are resolved from the commit down
   * on every read, so a command that reads several records of one commit reads its trees once.
   */
  private readonly objects = new Map<string, CommitInfo | StoredTreeEntry[] | Buffer>();

  private remember<T extends CommitInfo | StoredTreeEntry[] | Buffer>(oid: string, value: T): T {
    if (this.objects.size >= OBJECT_MEMO_LIMIT) this.objects.clear();
    this.objects.set(oid, value);
    return value;
  }

  private constructor(gitdir: string, workdir: string | undefined) {
    this.gitdir = gitdir;
    this.workdir = workdir;
    this.fs = createAtomicFs(path.join(gitdir, 'driftctl', 'tmp'));
  }

  /** Opens the repository containing `start` (walking up), or the bare repository at `start`. */
  static open(start: string): GitStore {
    let dir = path.resolve(start);
    for (;;) {
      const dotGit = path.join(dir, '.git');
      if (existsSync(dotGit)) {
        if (statSync(dotGit).isDirectory()) return new GitStore(dotGit, dir);
        const pointer = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
        if (pointer) return new GitStore(path.resolve(dir, pointer[1]), dir);
      }
      if (isBareRepository(dir)) return new GitStore(dir, undefined);
      const parent = path.dirname(dir);
      if (parent === dir) {
        throw new DriftError('NOT_A_GIT_REPOSITORY', `${path.resolve(start)} is not inside a git repository (run "git init" there, or set ledger.path to a repository)`, {
          data: { path: path.resolve(start) },
        });
      }
      dir = parent;
    }
  }

  /** Creates a bare repository at `dir` (for a ledger kept apart from the watched files). */
  static async initBare(dir: string, defaultBranch: string): Promise<GitStore> {
    await git.init({ fs, dir, bare: true, defaultBranch });
    return new GitStore(dir, undefined);
  }

  async resolveRef(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs: this.fs, gitdir: this.gitdir, ref });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Names of the local refs below `prefix` (for example `refs/heads/drift-ledger`), relative to it, sorted. */
  async listRefsUnder(prefix: string): Promise<string[]> {
    try {
      return (await git.listRefs({ fs: this.fs, gitdir: this.gitdir, filepath: prefix })).sort();
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  /** Deletes a local ref (a missing one is not an error). */
  async deleteRef(ref: string): Promise<void> {
    await git.deleteRef({ fs: this.fs, gitdir: this.gitdir, ref });
  }

  /** Expands an abbreviated object id; undefined when nothing matches. */
  async expandOid(prefix: string): Promise<string | undefined> {
    try {
      return await git.expandOid({ fs: this.fs, gitdir: this.gitdir, oid: prefix, cache: this.cache });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if ((error as { code?: string }).code === 'AmbiguousError') {
        throw new DriftError('AMBIGUOUS_ID', `"${prefix}" matches several ledger objects (give more characters)`, { data: { prefix } });
      }
      throw error;
    }
  }

  private batch: CatFileReader | undefined;
  /** Between beginBatchReads and endBatchReads: objects are immutable, so reads are kept (see below). */
  private batchMode = false;
  private prefetch: Prefetch | undefined;
  private readonly parsedTrees = new Map<string, StoredTreeEntry[]>();
  private readonly blobCache = new Map<string, Buffer>();
  private blobCacheBytes = 0;

  /**
   * For a whole-history walk: reads go through one `git cat-file --batch` process when git is
   * installed (see ledger/cat-file.ts) until `endBatchReads`; parsed trees are kept, and blobs read
   * without git are kept up to BATCH_CACHE_BYTES. Without git, reads go through isomorphic-git.
   */
  beginBatchReads(): void {
    this.batchMode = true;
    this.batch ??= CatFileReader.start(this.gitdir);
  }

  endBatchReads(): void {
    this.batch?.close();
    this.batch = undefined;
    this.batchMode = false;
    for (const stream of this.prefetch?.streams ?? []) stream.stop();
    this.prefetch = undefined;
    this.parsedTrees.clear();
    this.memo.clear();
    this.blobCache.clear();
    this.blobCacheBytes = 0;
  }

  /**
   * Inside a batch, with git installed: starts streaming every object reachable from `tips` and
   * not from `exclude` (ledger/cat-file.ts streamReachableObjects) and returns at once. Until the
   * streams end, a read of an object that has not arrived waits for it (or for the end, then
   * reads it alone), so the walk that follows overlaps the stream instead of paying a round trip
   * per object. Several calls in one batch (one per branch walked) add to the same store of
   * objects. Contents are kept up to `budgetBytes`; past that the streams stop and the rest is
   * read on demand. Without git (or outside a batch) it does nothing.
   */
  prefetchReachable(tips: string[], exclude: string[] = [], budgetBytes = BATCH_CACHE_BYTES): void {
    if (!this.batch) return;
    const prefetch: Prefetch = (this.prefetch ??= { objects: new Map(), waiters: new Map(), bytes: 0, active: 0, streams: [] as { stop(): void }[] });
    if (prefetch.bytes > budgetBytes) return;
    const wakeAll = (): void => {
      for (const waiting of prefetch.waiters.values()) for (const wake of waiting) wake(undefined);
      prefetch.waiters.clear();
    };
    prefetch.active++;
    const stream = streamReachableObjects(
      this.gitdir,
      tips,
      exclude,
      (oid, object) => {
        prefetch.bytes += object.content.length;
        if (prefetch.bytes > budgetBytes) {
          for (const s of prefetch.streams) s.stop();
          return;
        }
        prefetch.objects.set(oid, object);
        const waiting = prefetch.waiters.get(oid);
        if (waiting) {
          prefetch.waiters.delete(oid);
          for (const wake of waiting) wake(object);
        }
      },
      () => {
        if (--prefetch.active === 0) wakeAll();
      },
    );
    prefetch.streams.push(stream);
  }

  private readonly memo = new Map<string, Promise<unknown>>();

  /**
   * Inside a batch: the value `make` gives for `key`, made once and kept until endBatchReads (for
   * values derived from immutable objects, such as parsed shards; callers must not modify them).
   * Outside a batch: `make()` every time.
   */
  batchMemo<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.batchMode) return make();
    let found = this.memo.get(key) as Promise<T> | undefined;
    if (!found) {
      found = make();
      this.memo.set(key, found);
      found.catch(() => this.memo.delete(key));
    }
    return found;
  }

  private async batchRead(oid: string, type: string): Promise<Buffer | undefined> {
    const prefetch = this.prefetch;
    if (prefetch) {
      const found =
        prefetch.objects.get(oid) ??
        (prefetch.active === 0
          ? undefined
          : await new Promise<GitObject | undefined>((resolve) => {
              const waiting = prefetch.waiters.get(oid);
              if (waiting) waiting.push(resolve);
              else prefetch.waiters.set(oid, [resolve]);
            }));
      if (found) return found.type === type ? found.content : undefined;
    }
    if (!this.batch) return undefined;
    try {
      const read = await this.batch.read(oid);
      return read?.type === type ? read.content : undefined;
    } catch {
      this.batch = undefined;
      return undefined;
    }
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    const known = this.objects.get(oid);
    if (known && !Array.isArray(known) && !Buffer.isBuffer(known)) return known;
    return this.remember(oid, await this.readCommitObject(oid));
  }

  private async readCommitObject(oid: string): Promise<CommitInfo> {
    const raw = await this.batchRead(oid, 'commit');
    if (raw) {
      const c = parseCommitObject(raw);
      return { oid, message: c.message, tree: c.tree, parents: c.parents, author: parseSignatureLine(c.author), committer: parseSignatureLine(c.committer), ...(c.gpgsig ? { gpgsig: c.gpgsig } : {}) };
    }
    const { commit } = await this.reading('commit', oid, () => git.readCommit({ fs: this.fs, gitdir: this.gitdir, oid, cache: this.cache }));
    return {
      oid,
      message: commit.message,
      tree: commit.tree,
      parents: commit.parent,
      author: commit.author,
      committer: commit.committer,
      ...(commit.gpgsig ? { gpgsig: commit.gpgsig } : {}),
    };
  }

  /** The tree's entries (a fresh array the caller may sort or change). */
  async readTree(oid: string): Promise<StoredTreeEntry[]> {
    const known = this.objects.get(oid);
    if (Array.isArray(known)) return known.map((entry) => ({ ...entry }));
    const cached = this.parsedTrees.get(oid);
    if (cached) return cached.slice();
    const entries = await this.readTreeObject(oid);
    if (this.batchMode) this.parsedTrees.set(oid, entries.slice());
    else this.remember(oid, entries.map((entry) => ({ ...entry })));
    return entries;
  }

  private async readTreeObject(oid: string): Promise<StoredTreeEntry[]> {
    const raw = await this.batchRead(oid, 'tree');
    if (raw) return parseRawTree(raw);
    const { tree } = await this.reading('tree', oid, () => git.readTree({ fs: this.fs, gitdir: this.gitdir, oid, cache: this.cache }));
    return tree.map((entry) => ({ name: entry.path, oid: entry.oid, type: entry.type, mode: entry.mode }));
  }

  /** The blob's bytes (a fresh buffer the caller may change). */
  async readBlob(oid: string): Promise<Buffer> {
    const known = this.objects.get(oid);
    if (Buffer.isBuffer(known)) return Buffer.from(known);
    const blob = await this.readBlobObject(oid);
    if (!this.batchMode && blob.length <= SMALL_BLOB_BYTES) this.remember(oid, Buffer.from(blob));
    return blob;
  }

  private async readBlobObject(oid: string): Promise<Buffer> {
    const raw = this.blobCache.get(oid) ?? (await this.batchRead(oid, 'blob'));
    if (raw) return raw;
    const { blob } = await this.reading('blob', oid, () => git.readBlob({ fs: this.fs, gitdir: this.gitdir, oid, cache: this.cache }));
    const content = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (this.batchMode && this.blobCacheBytes + content.length <= BATCH_CACHE_BYTES) {
      this.blobCache.set(oid, content);
      this.blobCacheBytes += content.length;
    }
    return content;
  }

  /** The object at `filepath` inside a commit's tree, or undefined when the path is absent. */
  async lookupPath(commit: string, filepath: string): Promise<{ oid: string; type: 'tree' | 'blob' } | undefined> {
    let oid = (await this.readCommit(commit)).tree;
    let type: 'tree' | 'blob' = 'tree';
    for (const part of filepath.split('/').filter(Boolean)) {
      if (type !== 'tree') return undefined;
      const entry = (await this.readTree(oid)).find((e) => e.name === part);
      if (!entry || entry.type === 'commit') return undefined;
      oid = entry.oid;
      type = entry.type;
    }
    return { oid, type };
  }

  /**
   * Runs an object read; a missing or unreadable object (the repository is damaged: a truncated
   * or deleted object file, a corrupt pack) becomes a LEDGER_DAMAGED error naming the object and
   * how to repair, instead of isomorphic-git's bare "Could not find" or zlib message.
   */
  private async reading<T>(what: string, oid: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if (error instanceof DriftError) throw error;
      const e = error as { code?: string; message?: string; data?: { message?: unknown } };
      const missing = e.code === 'NotFoundError' ? /Could not find ([0-9a-f]{40})/.exec(e.message ?? '')?.[1] ?? oid : oid;
      const detail = typeof e.data?.message === 'string' ? e.data.message : String(e.message ?? error).split('\n')[0];
      const reason = e.code === 'NotFoundError' ? 'missing' : `unreadable (${detail})`;
      throw new DriftError(
        'LEDGER_DAMAGED',
        `the ledger in ${this.gitdir} is damaged: ${what} ${missing} is ${reason}; run "git fsck" there to see the extent, then restore the ledger branch from its remote ("driftctl pull", or git fetch) or a backup`,
        { cause: error, data: { object: missing, what } },
      );
    }
  }

  /** Branches checked out in this repository's work tree and its linked work trees. */
  checkedOutBranches(): string[] {
    const heads: string[] = [];
    const read = (file: string): void => {
      try {
        const m = /^ref:\s*refs\/heads\/(.+?)\s*$/m.exec(readFileSync(file, 'utf8'));
        if (m) heads.push(m[1]);
      } catch {
        // No such work tree.
      }
    };
    if (this.workdir) read(path.join(this.gitdir, 'HEAD'));
    try {
      for (const tree of fs.readdirSync(path.join(this.gitdir, 'worktrees'))) read(path.join(this.gitdir, 'worktrees', tree, 'HEAD'));
    } catch {
      // No linked work trees.
    }
    return heads;
  }

  hasLooseObject(oid: string): boolean {
    return existsSync(path.join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
  }

  /**
   * Writes one object whose id the caller may already know (it is checked against the bytes).
   * Skips the write when a loose copy exists; an object that exists only in a pack gets a
   * harmless loose duplicate.
   */
  async writeObject(type: GitObjectType, content: Buffer, knownOid?: string): Promise<string> {
    const oid = objectId(type, content);
    // An id that came from a cache is never trusted to name bytes: git would call the object corrupt.
    if (knownOid !== undefined && knownOid !== oid) {
      throw new DriftError('OBJECT_ID_MISMATCH', `internal error: a ${type} was to be written as ${knownOid} but its bytes hash to ${oid}; nothing was written`, {
        data: { expected: knownOid, actual: oid },
      });
    }
    if (this.hasLooseObject(oid)) return oid;
    this.written.add(oid);
    // Small objects (records, trees, shards) compress best at level 9 for little CPU; big ones stay fast.
    const deflated = deflateSync(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]), { level: content.length < 262_144 ? 9 : 1 });
    await git.writeObject({ fs: this.fs, gitdir: this.gitdir, type, object: deflated, format: 'deflated', oid });
    return oid;
  }

  async writeCommit(commit: { tree: string; parents: string[]; message: string; author: Signature; committer: Signature }): Promise<string> {
    const oid = await git.writeCommit({
      fs: this.fs,
      gitdir: this.gitdir,
      commit: { tree: commit.tree, parent: commit.parents, message: commit.message, author: commit.author, committer: commit.committer },
    });
    this.written.add(oid);
    return oid;
  }

  /** Loose objects this process wrote that no ref moved by it reaches yet (see ledger/packer.ts). */
  private readonly written = new Set<string>();

  /** Points `ref` at `oid`; the ref file is replaced atomically. Objects written so far become packable. */
  async setRef(ref: string, oid: string): Promise<void> {
    await git.writeRef({ fs: this.fs, gitdir: this.gitdir, ref, value: oid, force: true });
    noteLooseObjects(this.gitdir, this.written);
    this.written.clear();
  }

  /**
   * Moves what driftctl wrote into packs once enough is loose, and merges its packs once there
   * are many (ledger/packer.ts); never touches other objects, never runs `git gc`.
   */
  async packIfDue(limits?: { loose: number; packs: number }): Promise<PackOutcome> {
    return packIfDue(
      {
        gitdir: this.gitdir,
        pack: async (oids) => Buffer.from((await git.packObjects({ fs: this.fs, gitdir: this.gitdir, oids, cache: this.cache })).packfile as Uint8Array),
        index: async (name) => {
          await git.indexPack({ fs: this.fs, dir: this.gitdir, gitdir: this.gitdir, filepath: `objects/pack/${name}.pack`, cache: this.cache });
        },
      },
      limits,
    );
  }

  /** Commits reachable from `ref`, newest first (first-parent order as isomorphic-git walks it). */
  async log(ref: string, depth?: number): Promise<CommitInfo[]> {
    const entries = await this.reading('commit', ref, () => git.log({ fs: this.fs, gitdir: this.gitdir, ref, cache: this.cache, ...(depth ? { depth } : {}) }));
    return entries.map((entry) => ({
      oid: entry.oid,
      message: entry.commit.message,
      tree: entry.commit.tree,
      parents: entry.commit.parent,
      author: entry.commit.author,
      committer: entry.commit.committer,
      ...(entry.commit.gpgsig ? { gpgsig: entry.commit.gpgsig } : {}),
    }));
  }

  /** True when `ancestor` is `oid` or one of its ancestors; false when either is unknown. */
  async isAncestor(ancestor: string, oid: string): Promise<boolean> {
    if (ancestor === oid) return true;
    try {
      return await git.isDescendent({ fs: this.fs, gitdir: this.gitdir, oid, ancestor, depth: -1, cache: this.cache });
    } catch {
      return false;
    }
  }

  /**
   * Fetches one branch of a remote into `refs/remotes/<remoteName>/<branch>` (single branch, so a
   * retry never downloads the whole history again). Returns the fetched tip, or undefined when the
   * remote does not have the branch yet.
   */
  async fetchBranch(spec: RemoteSpec, remoteName: string, branch: string): Promise<string | undefined> {
    try {
      // isomorphic-git maps fetched refs through the remote's fetch refspec; the URL itself is
      // passed per call and never stored in the repository's config (it may carry credentials).
      const refspec = `+refs/heads/${branch}:refs/remotes/${remoteName}/${branch}`;
      if ((await git.getConfig({ fs: this.fs, gitdir: this.gitdir, path: `remote.${remoteName}.fetch` })) !== refspec) {
        await git.setConfig({ fs: this.fs, gitdir: this.gitdir, path: `remote.${remoteName}.fetch`, value: refspec });
      }
      const packsBefore = new Set(packNames(this.gitdir));
      const result = await git.fetch({
        fs: this.fs,
        http: (await import('./git-http.js')).withAdvertisedHead(await httpFor(spec), `refs/heads/${branch}`),
        gitdir: this.gitdir,
        url: spec.url,
        remote: remoteName,
        // As measured (FINDINGS.md): name the tracking ref as `ref` and fetch a single branch, so a
        // retry or a fresh clone asks only for this branch instead of the whole history.
        ref: `refs/remotes/${remoteName}/${branch}`,
        remoteRef: branch,
        singleBranch: true,
        tags: false,
        onAuth: onAuthFor(spec.auth),
        headers: authHeaders(spec.auth),
        cache: this.cache,
      });
      notePacks(this.gitdir, packNames(this.gitdir).filter((name) => !packsBefore.has(name)));
      if (!result.fetchHead) return undefined;
      await this.setRef(`refs/remotes/${remoteName}/${branch}`, result.fetchHead);
      return result.fetchHead;
    } catch (error) {
      const e = error as { code?: string; data?: { statusCode?: number; what?: string } };
      // An empty remote (or one without the branch) is not an error: there is nothing to fetch yet.
      // Only the branch itself not found means that; any other NotFoundError is a failed fetch.
      const missing = e.code === 'NotFoundError' && (e.data?.what === branch || e.data?.what === `refs/heads/${branch}`);
      if (missing || (e.code === 'HttpError' && e.data?.statusCode === 404)) return undefined;
      throw remoteError(error, spec, 'fetch');
    }
  }

  /**
   * Pushes a local ref to a remote ref; a rejection is a REMOTE_REJECTED DriftError (retryable).
   * On success isomorphic-git updates `refs/remotes/<remoteName>/<branch>` (never `origin`'s refs,
   * which belong to the user).
   */
  async pushRef(spec: RemoteSpec, localRef: string, remoteRef: string, force: boolean, remoteName: string): Promise<void> {
    try {
      const result = await git.push({
        fs: this.fs,
        http: await httpFor(spec),
        gitdir: this.gitdir,
        url: spec.url,
        remote: remoteName,
        ref: localRef,
        remoteRef,
        force,
        onAuth: onAuthFor(spec.auth),
        headers: authHeaders(spec.auth),
        cache: this.cache,
      });
      if (!result.ok) throw Object.assign(new Error('push failed'), { code: 'GitPushError' });
    } catch (error) {
      throw remoteError(error, spec, 'push');
    }
  }

  /** Branch names the remote holds below `refs/heads/<prefix>/`, relative to it, sorted. */
  async listRemoteBranches(spec: RemoteSpec, prefix: string): Promise<string[]> {
    try {
      const refs = await git.listServerRefs({ http: await httpFor(spec), url: spec.url, prefix: `refs/heads/${prefix}/`, onAuth: onAuthFor(spec.auth), headers: authHeaders(spec.auth) });
      return refs.map((r) => r.ref.slice(`refs/heads/${prefix}/`.length)).sort();
    } catch (error) {
      const e = error as { code?: string; data?: { statusCode?: number } };
      if (e.code === 'HttpError' && e.data?.statusCode === 404) return [];
      throw remoteError(error, spec, 'fetch');
    }
  }

  /** Deletes a branch on the remote. */
  async deleteRemoteBranch(spec: RemoteSpec, branch: string, remoteName: string): Promise<void> {
    try {
      const result = await git.push({ fs: this.fs, http: await httpFor(spec), gitdir: this.gitdir, url: spec.url, remote: remoteName, ref: `refs/heads/${branch}`, remoteRef: `refs/heads/${branch}`, delete: true, onAuth: onAuthFor(spec.auth), headers: authHeaders(spec.auth), cache: this.cache });
      if (!result.ok) throw Object.assign(new Error('push failed'), { code: 'GitPushError' });
    } catch (error) {
      throw remoteError(error, spec, 'push');
    }
  }

  async getConfig(key: string): Promise<string | undefined> {
    const value: unknown = await git.getConfig({ fs: this.fs, gitdir: this.gitdir, path: key });
    return typeof value === 'string' && value !== '' ? value : undefined;
  }
}

/** Credentials for a git remote over HTTP(S); from the environment, never from config files. */
export interface RemoteAuth {
  username?: string;
  token?: string;
}

export interface RemoteSpec {
  /** The remote URL. Never printed: it may carry credentials. */
  url: string;
  auth: RemoteAuth;
  /** How long one HTTP request may wait (ledger.timeout; default 60 s). */
  timeoutMs?: number;
}

export const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;

/** The HTTP client for a remote, loaded on first use (undici is not needed by local-only commands). */
async function httpFor(spec: RemoteSpec): Promise<import('./git-http.js').GitHttpClient> {
  const { createGitHttpClient } = await import('./git-http.js');
  return createGitHttpClient(spec.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS);
}

/** A short, credential-free description of a remote for messages: its host only. */
export function describeRemote(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the remote';
  }
}

/**
 * Basic credentials sent with the first request, so that each fetch or push does not first collect
 * a 401 and ask again (one round trip per request saved); onAuth stays for servers that insist.
 */
function authHeaders(auth: RemoteAuth): Record<string, string> {
  if (!auth.token) return {};
  return { Authorization: `Basic ${Buffer.from(`${auth.username ?? 'x-access-token'}:${auth.token}`).toString('base64')}` };
}

function onAuthFor(auth: RemoteAuth): (() => { username: string; password: string }) | undefined {
  if (!auth.token) return undefined;
  return () => ({ username: auth.username ?? 'x-access-token', password: auth.token as string });
}

/**
 * Maps isomorphic-git's remote errors to DriftErrors without leaking the URL or credentials.
 * `retryable` is set for a push that lost a race (non-fast-forward or a ref update refused).
 */
export function remoteError(error: unknown, spec: RemoteSpec, action: 'fetch' | 'push'): DriftError {
  const e = error as { code?: string; data?: { statusCode?: number; reason?: string; result?: { refs?: Record<string, { ok: boolean; error?: string }> } }; message?: string };
  const where = describeRemote(spec.url);
  const what = action === 'fetch' ? `fetch from ${where}` : `push to ${where}`;
  if (e.code === 'HttpError' && (e.data?.statusCode === 401 || e.data?.statusCode === 403)) {
    return new DriftError('REMOTE_AUTH', `${what} was refused (HTTP ${e.data.statusCode}): check the token in the environment variable named by ledger.token_env`, { data: { status: e.data.statusCode } });
  }
  if (e.code === 'PushRejectedError' || e.code === 'GitPushError') {
    return new DriftError('REMOTE_REJECTED', `push to ${where} was rejected (${e.code === 'PushRejectedError' ? 'not a fast-forward' : 'ref update refused'})`, { data: { retryable: true } });
  }
  if (e.code === 'HttpError') {
    return new DriftError('REMOTE_FAILED', `${what} failed (HTTP ${e.data?.statusCode ?? '?'})`, { data: { status: e.data?.statusCode } });
  }
  if (e.code === 'NotFoundError') return new DriftError('REMOTE_FAILED', `${what} failed: ${String(e.message ?? '').replace(/https?:\/\/\S+/g, where)}`, {});
  const failure = classifyRequestError(error);
  if (failure.kind === 'timeout') {
    const ms = spec.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
    return new DriftError('REMOTE_TIMEOUT', `${what} timed out after ${ms} ms (ledger.timeout)`, { data: { code: failure.code, timeoutMs: ms } });
  }
  const code = failure.code;
  const reason = failure.kind === 'refused' ? 'connection refused' : failure.kind === 'not-found' ? 'host not found' : failure.kind === 'closed' ? 'connection closed' : code;
  return new DriftError('REMOTE_UNREACHABLE', `cannot reach ${where} to ${action} (${reason})`, { data: { code } });
}

function isBareRepository(dir: string): boolean {
  return existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects')) && existsSync(path.join(dir, 'refs'));
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: string }).code === 'NotFoundError';
}

/** A raw tree object's entries, as readTree gives them (modes padded to six digits). */
function parseRawTree(content: Buffer): StoredTreeEntry[] {
  return parseTreeObject(content).map((entry) => ({ ...entry, mode: entry.type === 'tree' ? '040000' : entry.mode.padStart(6, '0') }));
}
