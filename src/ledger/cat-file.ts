import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/**
 * A bulk object reader for whole-history walks (`verify --full`): one `git cat-file --batch`
 * process answers object reads in order, about a hundred times faster than isomorphic-git reading
 * loose or packed objects one call at a time. Reads may be pipelined (`readMany` sends many ids in
 * one write; answers stream back while the caller works). The process starts at the first read.
 * Optional: when git is not installed, reads reject and readers keep using isomorphic-git. It
 * only reads; a missing object is answered with undefined, so the caller can fall back (and
 * report damage through its usual path).
 */
export class CatFileReader {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  /** Reads sent and not yet answered: `pending[head]` is answered next (git answers in order). */
  private pending: { oid: string; resolve: (value: GitObject | undefined) => void; reject: (error: Error) => void }[] = [];
  private head = 0;
  private failed: Error | undefined;
  private readonly parser = new BatchOutputParser((oid, object) => this.answer(oid, object));

  private constructor(private readonly gitdir: string) {}

  /** A reader for `gitdir`; nothing is spawned until the first read. */
  static start(gitdir: string): CatFileReader {
    return new CatFileReader(gitdir);
  }

  read(oid: string): Promise<GitObject | undefined> {
    return this.readMany([oid])[0];
  }

  /** One promise per id, in order; all ids go to git in one write. */
  readMany(oids: string[]): Promise<GitObject | undefined>[] {
    const child = this.process();
    if (this.failed || !child) {
      const error = this.failed ?? new Error('git cat-file is not running');
      return oids.map(() => Promise.reject(error));
    }
    const promises = oids.map((oid) => new Promise<GitObject | undefined>((resolve, reject) => this.pending.push({ oid, resolve, reject })));
    if (oids.length > 0) child.stdin.write(`${oids.join('\n')}\n`);
    return promises;
  }

  close(): void {
    this.child?.stdin.end();
    stopChild(this.child);
  }

  private process(): ChildProcessByStdio<Writable, Readable, null> | undefined {
    if (this.child || this.failed) return this.child;
    const child = spawn('git', ['--git-dir', this.gitdir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.parser.push(chunk));
    const fail = (error: Error): void => {
      this.failed ??= error;
      const waiting = this.pending.slice(this.head);
      this.pending = [];
      this.head = 0;
      for (const p of waiting) p.reject(this.failed);
    };
    child.on('error', fail);
    // 'close', not 'exit': output still buffered in the pipe is parsed first.
    child.on('close', () => fail(new Error('git cat-file exited')));
    child.stdin.on('error', fail);
    return child;
  }

  private answer(oid: string, object: GitObject | undefined): void {
    const next = this.pending[this.head];
    if (!next) return;
    this.pending[this.head++] = undefined as never;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    if (next.oid !== oid) next.reject(new Error(`git cat-file answered ${oid} for ${next.oid}`));
    else next.resolve(object);
  }
}

/** What the prefetch pipeline writes into cat-file's input when rev-list fails (answered "missing"). */
const LIST_FAILED = 'rev-list-failed';

/**
 * The pipeline, run by `sh` so that this (large) process forks once, not twice: forking Node is
 * what costs most when the machine is loaded. Arguments arrive as "$@", never inside the script.
 */
const PIPELINE = `d=$1; shift; { git --git-dir "$d" rev-list --objects --reverse --no-object-names "$@" || echo ${LIST_FAILED}; } | git --git-dir "$d" cat-file --batch --buffer`;

/**
 * Streams every object reachable from `tips` and not from `exclude`: `git rev-list --objects
 * --reverse` piped straight into `git cat-file --batch --buffer` (no round trip per object,
 * output in large writes). Commits come first, oldest first, then the trees and blobs in the
 * order the commits introduce them, oldest first, which is the order a history walk needs them.
 * `onObject` sees each object as it arrives; `onEnd` is called once, with `complete` false when
 * git (or sh) is missing or failed (a missing object, an unknown id) or `stop()` was called. It
 * never throws: callers read whatever did not arrive one object at a time.
 */
export function streamReachableObjects(
  gitdir: string,
  tips: string[],
  exclude: string[],
  onObject: (oid: string, object: GitObject) => void,
  onEnd: (complete: boolean) => void,
): { stop(): void } {
  let ended = false;
  let child: ReturnType<typeof spawn> | undefined;
  const end = (complete: boolean): void => {
    if (ended) return;
    ended = true;
    child?.stdout?.destroy();
    stopChild(child);
    onEnd(complete);
  };
  const ids = [...tips, ...exclude.map((oid) => `^${oid}`)];
  if (tips.length === 0 || !ids.every((id) => /^\^?[0-9a-f]{40}$/.test(id))) {
    queueMicrotask(() => end(false));
    return { stop: () => end(false) };
  }
  try {
    child = spawn('sh', ['-c', PIPELINE, 'driftctl-prefetch', gitdir, ...ids], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.on('error', () => end(false));
    let complete = true;
    const parser = new BatchOutputParser((oid, object) => {
      if (!object) complete = false; // rev-list failed, or named an object cat-file cannot read
      else if (!ended) onObject(oid, object);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!ended) parser.push(chunk);
    });
    child.on('close', (code) => end(complete && code === 0 && parser.idle));
  } catch {
    queueMicrotask(() => end(false));
  }
  return { stop: () => end(false) };
}

/** Parses a raw commit object (as git stores it) into its headers and message. */
export function parseCommitObject(content: Buffer): { tree: string; parents: string[]; author: string; committer: string; gpgsig?: string; message: string } {
  const text = content.toString('utf8');
  const end = text.indexOf('\n\n');
  const headerText = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  let tree = '';
  const parents: string[] = [];
  let author = '';
  let committer = '';
  let gpgsig: string | undefined;
  let last: string | undefined;
  for (const line of headerText.split('\n')) {
    if (line.startsWith(' ') && last === 'gpgsig') {
      gpgsig += `\n${line.slice(1)}`;
      continue;
    }
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    last = key;
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = value;
    else if (key === 'committer') committer = value;
    else if (key === 'gpgsig') gpgsig = value;
  }
  return { tree, parents, author, committer, ...(gpgsig !== undefined ? { gpgsig } : {}), message };
}

/** `Name <email> 1700000000 +0100` as isomorphic-git gives it (timezoneOffset in minutes, west positive). */
export function parseSignatureLine(line: string): { name: string; email: string; timestamp: number; timezoneOffset: number } {
  const m = /^(.*) <(.*)> (\d+) ([+-])(\d{2})(\d{2})$/.exec(line);
  if (!m) return { name: line, email: '', timestamp: 0, timezoneOffset: 0 };
  const minutes = Number(m[5]) * 60 + Number(m[6]);
  return { name: m[1], email: m[2], timestamp: Number(m[3]), timezoneOffset: m[4] === '+' ? -minutes : minutes };
}

export interface GitObject {
  type: string;
  content: Buffer;
}

/**
 * Ends a child that is running. A child that failed to spawn (git not installed) is left alone:
 * killing it would signal a bogus process id, measured as `kill(0, SIGTERM)`, which takes down
 * this process's whole process group.
 */
function stopChild(child: ReturnType<typeof spawn> | undefined): void {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill();
}

/**
 * Splits `git cat-file --batch` output (`<oid> <type> <size>\n<content>\n`, or `<oid> missing\n`)
 * into objects as chunks arrive; content that spans many chunks is joined once.
 */
export class BatchOutputParser {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Bytes the buffered partial object needs before it can be parsed. */
  private needed = 0;

  constructor(private readonly onObject: (oid: string, object: GitObject | undefined) => void) {}

  /** True when no partial object is buffered. */
  get idle(): boolean {
    return this.length === 0;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length < this.needed) return;
    this.needed = 0;
    let buffer = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    let offset = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, offset);
      if (newline < 0) break;
      const header = buffer.toString('utf8', offset, newline);
      const [oid, type, size] = header.split(' ');
      if (type === 'missing' || size === undefined) {
        offset = newline + 1;
        this.onObject(oid, undefined);
        continue;
      }
      const end = newline + 1 + Number(size);
      if (buffer.length < end + 1) {
        this.needed = end + 1 - offset;
        break;
      }
      // A view into the chunk, not a copy: objects are kept as long as the chunks they arrived in.
      this.onObject(oid, { type, content: buffer.subarray(newline + 1, end) });
      offset = end + 1;
    }
    buffer = buffer.subarray(offset);
    this.chunks = buffer.length > 0 ? [buffer] : [];
    this.length = buffer.length;
  }
}
