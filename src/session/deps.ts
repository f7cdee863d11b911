import type { HttpPoster } from '../channels/http-poster.js';
import type { MailSender } from '../channels/mail-sender.js';
import type { ProgressListener } from '../progress.js';

/**
 * What every operation receives from its caller instead of reaching for globals: the working
 * directory, the environment, the clock, where to report progress, and how long to wait for the
 * ledger lock. Operations never print and never exit.
 */
export interface OpDeps {
  cwd: string;
  env: Record<string, string | undefined>;
  now: () => Date;
  onProgress?: ProgressListener;
  /** How long a writing operation waits for another driftctl to release the ledger. */
  lockTimeoutMs: number;
  /** Non-fatal problems worth telling the user about (the CLI prints them on stderr). */
  warn?: (message: string) => void;
  /** Where the console alert channel writes (default: nowhere). */
  writeConsole?: (text: string) => void;
  /** HTTP client for Slack and webhook channels (default: undici with retries). */
  http?: HttpPoster;
  /** SMTP client for email channels (default: nodemailer, loaded on first use). */
  mail?: MailSender;
}

export interface ConfigOption {
  /** `--config PATH`; default `driftctl.yml` in cwd. */
  config?: string;
}

export interface TargetFilter {
  /** Restrict to these targets (default: every enabled target). */
  targets?: string[];
  /** Keep only targets carrying all these labels ("key=value"). */
  labels?: string[];
}
