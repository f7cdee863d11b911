/**
 * The error catalogue: every code driftctl reports, by family, with what it means. README.md
 * ("Error codes") lists the same codes (tests/errors-catalogue.test.ts keeps the two in step).
 * Every DriftError exits 1; codes are stable (tests and scripts match on them, never on text).
 */
export const ERROR_CODES = {
  // usage and config
  USAGE: 'bad command-line arguments',
  CONFIG_INVALID: 'the config (or a file it names: inventory, templates) has problems; each is listed with file, line and field',
  BAD_LABEL: '--label is not KEY=VALUE',
  BAD_OPTION: 'an option value is out of range (for example log --limit abc)',
  UNKNOWN_TARGET: 'a --target names no configured target or fleet host',
  NO_TARGET_MATCHES: 'a --label selects no target',
  TARGET_REQUIRED: 'several targets are configured (or the host has several packs): name one with --target',
  TARGET_DISABLED: 'the named target has enabled: false',
  UNKNOWN_SOURCE_KIND: 'a source kind driftctl does not know (the message lists the known ones)',
  UNKNOWN_CHANNEL_KIND: 'an alert channel kind driftctl does not know (the message lists the known ones)',
  // the ledger
  NOT_A_GIT_REPOSITORY: 'the ledger repository is not a git repository',
  LEDGER_REPO_MISSING: 'ledger.path does not exist (run init)',
  NOT_INITIALIZED: 'the ledger branch does not exist yet (run init)',
  LEDGER_LOCKED: 'another driftctl holds the ledger lock longer than --lock-timeout',
  LEDGER_MOVED: 'the ledger branch moved during the run; nothing was written',
  RECORD_INVALID: 'a record about to be written does not match its schema (a bug; nothing was written)',
  NO_BASELINE: 'the target has no baseline yet (run init)',
  UNKNOWN_POINT: 'a ledger point (diff, show) that does not resolve',
  AMBIGUOUS_ID: 'a commit id prefix that matches several ledger objects',
  NOT_A_LEDGER: 'the ledger branch points at a commit that is not a ledger (no ledger.json); driftctl does not write on top of it',
  LEDGER_FORMAT_NEWER: 'the ledger is of a newer format than this driftctl reads; upgrade driftctl',
  LEDGER_LAYOUT_MISMATCH: 'ledger.layout asks for another layout than the ledger in the repository has (a single branch or a per-target set); the message says how to migrate or what to set',
  REMOTE_LAYOUT_BRANCH: 'migrate --layout per-target with ledger.remote: the remote still has the single branch, which git cannot keep beside the member branches; rerun with --delete-remote-branch',
  TARGET_NAME_NOT_A_REF: 'under ledger.layout: per-target, a target name git refuses in a branch name (.., a trailing dot, .lock)',
  LEDGER_BRANCH_CHECKED_OUT: 'ledger.branch is checked out in a work tree; the ledger needs a branch of its own',
  LEDGER_REF_LOST: 'the ledger ref is missing or unreadable but this machine has traces of the ledger; the message gives the git update-ref that restores it',
  LEDGER_DAMAGED: 'a ledger object is missing or unreadable; the message names it and the repair (git fsck, fetch from the remote)',
  OBJECT_ID_MISMATCH: 'an object about to be written hashes to another id than expected (a damaged cache; nothing was written)',
  ALLOWED_SIGNERS_NOT_FOUND: 'verify --allowed-signers names a file that does not exist',
  // remote ledgers
  REMOTE_NOT_CONFIGURED: 'pull or push without ledger.remote',
  REMOTE_AUTH: 'the remote refused the token (the message names the token variable, never its value)',
  REMOTE_UNREACHABLE: 'the remote could not be reached',
  REMOTE_TIMEOUT: 'a git request to the remote ran out of time (ledger.timeout, default 60 s)',
  REMOTE_FAILED: 'the remote answered with an error',
  REMOTE_REJECTED: 'every push attempt lost the race to other writers; the commits wait on the local branch',
  REMOTE_DIVERGED: 'pull: local and remote both have commits the other lacks (run push)',
  REMOTE_REWRITTEN: 'the remote ledger branch was rewritten; driftctl does not write on top of it',
  REMOTE_CONFLICT: 'a local commit cannot be replayed on the remote tip (two machines wrote one target)',
  REMOTE_NO_LEDGER: 'accept --pr: the remote has no ledger branch yet',
  // observing
  SOURCE_FAILED: 'a source could not be observed (command failed, HTTP error, unreadable input)',
  FILE_UNREADABLE: 'hash: the file cannot be read',
  // accepting
  REASON_REQUIRED: 'accept without --reason',
  KEYS_REQUIRED: 'accept without keys and without --all',
  KEYS_AND_ALL: 'accept with both keys and --all',
  KEY_NOT_DRIFTED: 'accept names a key that has no drift',
  PR_AND_DIRECT: 'accept with both --pr and --direct',
  PR_NEEDS_REMOTE: 'accept --pr without ledger.remote',
  PR_NEEDS_REPO: 'accept --pr without github.owner/repo and a remote URL to derive them from',
  // closing the loop (waive, remediate, restore)
  UNTIL_REQUIRED: 'waive without --until (every waiver expires)',
  BAD_UNTIL: 'waive --until is not a date, time or duration, or is in the past',
  NO_REPORT: 'waive or restore on a target that has no report yet (run check)',
  NOTHING_TO_WAIVE: 'waive --all on a target whose latest report has no drift',
  NO_REMEDIATE: 'remediate on a target with no remediate: command (the message says where to declare one)',
  NOT_CAPTURED: 'restore names entries whose baseline content was not captured (or was redacted); they are listed, nothing was written',
  RESTORE_OUTSIDE_ROOT: 'restore would write outside the source root or into .git; nothing was written',
  CONFIRMATION_REQUIRED: 'restore without --yes when stdin is not a terminal',
  RESTORE_FAILED: 'writing a restored file failed; the message names it (files before it were restored)',
  // GitHub
  GITHUB_TOKEN_MISSING: 'accept --pr: the GitHub token variable is not set',
  GITHUB_AUTH: 'GitHub refused the token',
  GITHUB_NOT_FOUND: 'GitHub does not know the repository (or the token cannot see it)',
  PULL_EXISTS: 'GitHub: a pull request for the branch already exists',
  GITHUB_FAILED: 'GitHub answered with another error',
  GITHUB_UNREACHABLE: 'GitHub could not be reached',
  // alerts
  NO_CHANNELS: 'digest: no alert channel to send to',
  UNKNOWN_CHANNEL: 'digest --channel names no configured channel, or alerts outbox --retry an entry whose channel is not configured',
  OUTBOX_ENTRY_NOT_FOUND: 'alerts outbox --drop/--retry names no waiting entry (the message lists the ids)',
  DIGEST_UNSUPPORTED: 'digest --channel names a channel whose kind takes no digests (sms, pagerduty)',
  CHANNEL_MISCONFIGURED: 'a channel cannot send: its URL variable is unset or not an http(s) URL',
  DELIVERY_REJECTED: 'a receiver refused a notification (4xx other than 429); not retried in this run, the outbox retries it within its budget',
  DELIVERY_FAILED: 'a notification could not be delivered after its retries; it stays in the outbox within its budget (alerts.outbox)',
  // schedules, CI, metrics, serve
  NO_SCHEDULE: 'daemon: no enabled target has a schedule',
  BAD_SCHEDULE: 'ci --schedule is not a valid cron expression',
  OUTPUT_EXISTS: 'ci: the output file exists (use --force)',
  CI_LEDGER_NOT_SHARED: 'ci: the ledger is only in ledger.path, on the runner\'s disk (set ledger.remote)',
  METRICS_WRITE_FAILED: 'the metrics file cannot be written',
  METRICS_FAILED: 'daemon: writing the metrics file failed unexpectedly',
  LISTEN_FAILED: 'serve cannot listen on the address',
  // serve's HTTP API answers (never thrown)
  NOT_FOUND: 'HTTP API: no such path',
  BAD_REQUEST: 'HTTP API: a bad query parameter',
  METHOD_NOT_ALLOWED: 'HTTP API: a method other than GET or HEAD',
  // anything else
  INTERNAL: 'an unexpected error (a bug); --debug shows the stack',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every error driftctl raises on purpose is a DriftError: a stable `code` from ERROR_CODES
 * (tests and callers match on it, never on message text), structured `data`, and the foreign
 * error it wraps, if any. Messages are one line and name the file, field and fix.
 */
export class DriftError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriftError';
    this.code = code;
    this.data = options.data ?? {};
  }
}

/** One problem found in a config file: where it is and what is expected there. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
}

/** A config file with one or more problems; all of them are reported at once. */
export class ConfigError extends DriftError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map(formatConfigIssue);
    super('CONFIG_INVALID', lines.join('\n'), { data: { issues } });
    this.issues = issues;
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.file}: ${issue.path}: ${issue.message}` : `${issue.file}: ${issue.message}`;
}

export function isDriftError(error: unknown): error is DriftError {
  return error instanceof DriftError;
}

/** The message of any thrown value, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
