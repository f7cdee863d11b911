import { createRequire } from 'node:module';
import type { ScheduledJob, ScheduleJob, Scheduler } from './scheduler.js';
import { timezoneProblem } from './scheduler.js';

/**
 * The node-cron adapter: the only file that loads node-cron. It is required on demand, so that
 * commands and configs without schedules never load it.
 */
type NodeCron = typeof import('node-cron');
const require = createRequire(import.meta.url);
let loaded: NodeCron | undefined;
const nodeCron = (): NodeCron => (loaded ??= require('node-cron') as NodeCron);

/** node-cron's own logging (missed ticks, overlaps) stays out of driftctl's stdout and stderr. */
const SILENT = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined, debug: (): void => undefined };

export function createCronScheduler(): Scheduler {
  return {
    schedule(job: ScheduleJob): ScheduledJob {
      const cron = nodeCron();
      const task = cron.schedule(job.expression, () => job.run(), {
        name: job.name,
        noOverlap: true,
        logger: SILENT,
        suppressMissedWarning: true,
        ...(job.timezone ? { timezone: job.timezone } : {}),
      });
      if (job.onSkipped) {
        const onSkipped = job.onSkipped;
        task.on('execution:overlap', (context) => onSkipped(context.triggeredAt ?? context.date));
      }
      let destroyed = false;
      return {
        nextRun: () => (destroyed ? null : task.getNextRun()),
        destroy: async () => {
          if (destroyed) return;
          destroyed = true;
          await task.destroy();
        },
      };
    },
  };
}

/** Why `expression` is not a cron expression node-cron accepts, or null. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `must have 5 fields (minute hour day-of-month month day-of-week) or 6 (with a leading second), got ${fields} in "${expression}"`;
  }
  const result = nodeCron().validateDetailed(expression);
  if (result.valid) return null;
  const why = result.errors.map((e) => e.message).join('; ');
  return `is not a valid cron expression (got "${expression}"${why ? `: ${why}` : ''})`;
}

export { timezoneProblem };
