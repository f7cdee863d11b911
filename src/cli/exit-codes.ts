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

/**
 * How a command ended: every command hands its result to the CLI with a verdict (see
 * CommandContext.emit); a thrown error is the verdict `error`.
 */
export type Verdict = 'ok' | 'drift' | 'error';

/** The one mapping from verdicts to exit codes. */
export function exitCodeFor(verdict: Verdict): ExitCode {
  return verdict === 'error' ? ExitCode.Error : verdict === 'drift' ? ExitCode.Drift : ExitCode.Ok;
}

/** The worse of two verdicts (error over drift over ok). */
export function worseVerdict(a: Verdict, b: Verdict): Verdict {
  const rank: Record<Verdict, number> = { ok: 0, drift: 1, error: 2 };
  return rank[b] > rank[a] ? b : a;
}
