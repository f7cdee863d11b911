import type { IndexedCommit } from './commit-index.js';
import { describeCommitParts } from './history.js';

/**
 * Monitoring gaps (README "Record change, not repetition"): the evidence that a target was
 * checked is its report commits (a check that found something new) and its heartbeat commits (a
 * check that found nothing new, at most one per `ledger.heartbeat`). A gap is the time between two
 * consecutive pieces of evidence of one target, or from the last one to `now`.
 */
export interface MonitoringGap {
  target: string;
  /** ISO times: the evidence before the gap, and the next evidence (or now). */
  from: string;
  to: string;
  ms: number;
  /** `ms` for people: `45m`, `3h18m`, `2d4h`. */
  length: string;
  /** True when the gap runs up to now (no check recorded since `from`). */
  open: boolean;
}

/** Times (ms) of every report and heartbeat of each target, oldest first, from indexed commits (oldest first). */
export function evidenceTimes(commits: IndexedCommit[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const commit of commits) {
    for (const part of describeCommitParts(commit)) {
      if (!part.target || (part.kind !== 'report' && part.kind !== 'heartbeat')) continue;
      const list = out.get(part.target) ?? [];
      if (list[list.length - 1] !== part.time) list.push(part.time);
      out.set(part.target, list);
    }
  }
  return out;
}

/** Every gap longer than `maxMs` (all gaps when it is 0), longest first. */
export function monitoringGaps(commits: IndexedCommit[], now: number, maxMs = 0): MonitoringGap[] {
  const gaps: MonitoringGap[] = [];
  for (const [target, times] of evidenceTimes(commits)) {
    const points = [...times].sort((a, b) => a - b);
    for (let i = 0; i < points.length; i++) {
      const open = i === points.length - 1;
      const to = open ? now : points[i + 1];
      const ms = to - points[i];
      if (ms > maxMs) gaps.push({ target, from: new Date(points[i]).toISOString(), to: new Date(to).toISOString(), ms, length: formatGap(ms), open });
    }
  }
  return gaps.sort((a, b) => b.ms - a.ms);
}

export function formatGap(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}` : `${Math.floor(hours / 24)}d${hours % 24 ? `${hours % 24}h` : ''}`;
}
