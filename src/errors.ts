/**
 * Every error driftctl raises on purpose is a DriftError: a stable `code` (tests and callers
 * match on it, never on message text), the process exit code it maps to, structured `data`, and
 * the foreign error it wraps, if any. Messages are one line and name the file, field and fix.
 */
export class DriftError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly data: Record<string, unknown>;

  constructor(code: string, message: string, options: { data?: Record<string, unknown>; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriftError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
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
