import type { OpDeps } from '../session/deps.js';
import type { ProgressEvent } from '../progress.js';
import { worseVerdict, type Verdict } from './exit-codes.js';
import type { Style } from './format.js';
import type { CliIo, GlobalArgs } from './io.js';

/**
 * What a command needs from the CLI: dependencies for its op, a way to emit its result (one JSON
 * document with --json, else human text) with the command's verdict.
 */
export class CommandContext {
  /** The worst verdict emitted so far; the CLI entry point maps it to the exit code. */
  verdict: Verdict = 'ok';
  private progressShown = false;

  constructor(readonly io: CliIo) {}

  get style(): Style {
    return { color: Boolean(this.io.stdout.isTTY) && !this.io.env.NO_COLOR };
  }

  deps(argv: GlobalArgs): OpDeps {
    const fixed = this.io.env.DRIFTCTL_NOW;
    const now = fixed ? (): Date => new Date(fixed) : (): Date => new Date();
    return {
      cwd: this.io.cwd,
      env: this.io.env,
      now,
      lockTimeoutMs: Math.max(0, argv['lock-timeout']) * 1000,
      onProgress: this.io.stderr.isTTY && !argv.json ? (event) => this.progress(event) : undefined,
      warn: (message) => this.note(`driftctl: warning: ${message}`),
      // The console channel: stdout for people, stderr under --json so stdout stays one document.
      writeConsole: (text) => {
        this.clearProgress();
        (argv.json ? this.io.stderr : this.io.stdout).write(text);
      },
    };
  }

  /** Writes the result (the JSON document, or the human rendering) and records its verdict. */
  emit(argv: GlobalArgs, data: unknown, human: () => string, verdict: Verdict = 'ok'): void {
    this.verdict = worseVerdict(this.verdict, verdict);
    this.clearProgress();
    if (argv.json) this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A message for people, on stderr, so that stdout stays machine-readable. */
  note(text: string): void {
    this.clearProgress();
    this.io.stderr.write(`${text}\n`);
  }

  private lastProgress = 0;
  private progress(event: ProgressEvent): void {
    const now = Date.now();
    if (now - this.lastProgress < 100 && event.done !== event.total) return;
    this.lastProgress = now;
    const what = event.phase === 'hash' ? 'hashing' : event.phase === 'scan' ? 'scanned' : event.phase === 'diff' ? 'comparing' : 'writing';
    const count = event.total !== undefined ? `${event.done}/${event.total}` : event.phase === 'diff' ? '' : `${event.done}`;
    this.io.stderr.write(`\r\u001b[2K${what} ${count} ${[event.target, event.source].filter(Boolean).join('/')}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (this.progressShown) {
      this.io.stderr.write('\r\u001b[2K');
      this.progressShown = false;
    }
  }
}
