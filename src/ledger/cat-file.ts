import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * A bulk object reader for whole-history walks (`verify --full`): one `git cat-file --batch`
 * process answers object reads in order, about a hundred times faster than isomorphic-git reading
 * loose or packed objects one call at a time. Optional: when git is not installed, reads reject
 * and readers keep using isomorphic-git. It only reads; a missing object is answered
 * with undefined, so the caller can fall back (and report damage through its usual path).
 */
export class CatFileReader {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: { oid: string; resolve: (value: { type: string; content: Buffer } | undefined) => void; reject: (error: Error) => void }[] = [];
  private failed: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    const fail = (error: Error): void => {
      this.failed = error;
      for (const p of this.pending.splice(0)) p.reject(error);
    };
    child.on('error', fail);
    child.on('exit', () => fail(new Error('git cat-file exited')));
    child.stdin.on('error', fail);
  }

  /** Starts the reader; without git the process fails to spawn and every read rejects (callers fall back). */
  static start(gitdir: string): CatFileReader | undefined {
    const child = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new CatFileReader(child);
  }

  read(oid: string): Promise<{ type: string; content: Buffer } | undefined> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }

  private drain(): void {
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffer.toString('utf8', 0, newline);
      if (header.endsWith(' missing')) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.pending.shift();
        head.resolve(undefined);
        continue;
      }
      const [, type, size] = header.split(' ');
      const length = Number(size);
      if (this.buffer.length < newline + 1 + length + 1) return;
      const content = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + length));
      this.buffer = this.buffer.subarray(newline + 1 + length + 1);
      this.pending.shift();
      head.resolve({ type: type as string, content });
    }
  }
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
