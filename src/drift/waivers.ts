import type { Change } from './report.js';
import { createKeyMatcher } from '../match/glob.js';

/**
 * Waivers (pure): drift that someone excused until a date, as InSpec waivers do. A waiver covers
 * the observed states it was given for (source, key, change and the sha256 of the state), so a
 * waived key whose content changes again is drift again; with `anyContent` it covers the keys
 * (globs) whatever their content. At `until` it expires and the drift alerts again.
 */
export interface WaiverCover {
  source: string;
  key: string;
  change: 'added' | 'removed' | 'changed';
  /** sha256 of the state now (`after`), null when the entry is gone or has no hash. */
  sha256: string | null;
}

export interface ActiveWaiver {
  /** The waiver record's id, or `config:<index>` for a waiver declared in driftctl.yml. */
  id: string;
  by: string;
  reason: string;
  /** ISO 8601 expiry. */
  until: string;
  keys: string[];
  anyContent: boolean;
  covers: WaiverCover[];
}

export interface WaivedChange {
  change: Change;
  waiver: ActiveWaiver;
}

export function coverOf(change: Change): WaiverCover {
  return { source: change.source, key: change.key, change: change.change, sha256: change.after?.sha256 ?? null };
}

export function isActive(waiver: Pick<ActiveWaiver, 'until'>, now: Date): boolean {
  return Date.parse(waiver.until) > now.getTime();
}

/** The waiver (the first in force) that covers `change` at `now`, if any. */
export function waiverFor(change: Change, waivers: readonly ActiveWaiver[], now: Date): ActiveWaiver | undefined {
  const cover = coverOf(change);
  return waivers.find((w) => {
    if (!isActive(w, now)) return false;
    if (w.anyContent) return w.keys.some((k) => k === change.key) || createKeyMatcher(w.keys)(change.key);
    return w.covers.some((c) => c.source === cover.source && c.key === cover.key && c.change === cover.change && c.sha256 === cover.sha256);
  });
}

/** Splits changes into drift and waived drift. */
export function applyWaivers(changes: readonly Change[], waivers: readonly ActiveWaiver[], now: Date): { drift: Change[]; waived: WaivedChange[] } {
  const drift: Change[] = [];
  const waived: WaivedChange[] = [];
  for (const change of changes) {
    const waiver = waivers.length > 0 ? waiverFor(change, waivers, now) : undefined;
    if (waiver) waived.push({ change, waiver });
    else drift.push(change);
  }
  return { drift, waived };
}

/** Waivers in force at `now` that expire within `withinMs`, soonest first. */
export function expiringWaivers<W extends Pick<ActiveWaiver, 'until'>>(waivers: readonly W[], now: Date, withinMs: number): W[] {
  return waivers.filter((w) => isActive(w, now) && Date.parse(w.until) - now.getTime() <= withinMs).sort((a, b) => Date.parse(a.until) - Date.parse(b.until));
}

/**
 * Parses `--until`: an ISO date (`2026-12-31`, the end of that day in UTC) or time, or a duration
 * from now (`7d`, `12h`). Returns undefined when unreadable.
 */
export function parseUntil(text: string, now: Date): Date | undefined {
  const trimmed = text.trim();
  const duration = /^(\d+)(m|h|d|w)$/.exec(trimmed);
  if (duration) return new Date(now.getTime() + Number(duration[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[duration[2] as 'm']);
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const end = Date.parse(`${trimmed}T23:59:59.999Z`);
    return Number.isNaN(end) ? undefined : new Date(end);
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(trimmed)) return undefined;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? undefined : new Date(time);
}
