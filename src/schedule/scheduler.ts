/**
 * What the daemon needs from a cron library, so that only one adapter file knows which library it
 * is (see cron-scheduler.ts). Expressions have 5 fields (minute hour day-of-month month
 * day-of-week) or 6 (a leading second field).
 */
export interface Scheduler {
  /**
   * Starts calling `run` on `expression` in `timezone` (IANA name; default: the process's zone).
   * A tick that comes while the previous `run` of this job has not settled is skipped, never
   * queued, so one job never runs twice at once.
   */
  schedule(job: ScheduleJob): ScheduledJob;
}

export interface ScheduleJob {
  name: string;
  expression: string;
  timezone?: string;
  run: () => Promise<void>;
  /** Called with the time of a tick skipped because the previous run was still going. */
  onSkipped?: (at: Date) => void;
}

export interface ScheduledJob {
  /** The next time the job is due, if known. */
  nextRun(): Date | null;
  /** Stops the timer and releases it; without this the process never exits. Idempotent. */
  destroy(): Promise<void>;
}

/** Why a cron expression or a time zone is invalid; null when it is valid. */
export interface ScheduleValidator {
  cronProblem(expression: string): string | null;
  timezoneProblem(timezone: string): string | null;
}

/** IANA time zone names, checked with the platform's Intl (no cron library needed). */
export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `is not a known IANA time zone (got "${timezone}"; for example UTC, Europe/Paris, America/New_York)`;
  }
}
