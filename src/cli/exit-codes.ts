/** The process exit codes, as documented in README.md ("Exit codes"). Only the CLI entry point uses them. */
export const ExitCode = {
  /** Success; for diff and check: no drift. */
  Ok: 0,
  /** Any error: bad config or arguments, unreadable ledger, lock held, a source that failed. */
  Error: 1,
  /** diff / check found drift. */
  Drift: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
