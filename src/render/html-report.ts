import { SEVERITIES, type Severity } from '../drift/severity-levels.js';
import { builtinTemplate } from './builtin-templates.js';
import type { RenderTemplate } from './handlebars.js';
import { printable, relativeTime } from './helpers.js';
import type { AcceptRow, CheckPoint, ReportModel, SeverityCounts, TargetReport } from './report-model.js';

/**
 * The HTML page of `driftctl report --html` (pure: model → string). The page is self-contained:
 * inline CSS, inline SVG, no scripts, fonts, images or links to anything outside itself, and a
 * Content-Security-Policy that forbids loading any. Every text goes through Handlebars' default
 * HTML escaping (the template has no triple-stash), so keys holding <>&"' render as text.
 */
export function renderHtmlReport(model: ReportModel): string {
  return template()(pageView(model));
}

let compiled: RenderTemplate | undefined;
function template(): RenderTemplate {
  compiled ??= builtinTemplate('report.html.hbs');
  return compiled;
}

// --- view model -----------------------------------------------------------------------------

export interface SeverityChip {
  severity: Severity;
  count: number;
  zero: boolean;
}

export interface BarView {
  x: number;
  width: number;
  title: string;
  clean: boolean;
  cleanY: number;
  segments: { severity: Severity; y: number; height: number }[];
}

export interface TimelineView {
  width: number;
  height: number;
  unit: 'check' | 'day';
  caption: string;
  empty: boolean;
  plot: { left: number; right: number; top: number; bottom: number };
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; y: number; label: string }[];
  bars: BarView[];
  accepts: { x: number; title: string }[];
}

export interface PageView {
  title: string;
  generated: string;
  window: { label: string; since: string; until: string };
  ledger: { branch: string; tip: string };
  tool: string;
  cards: {
    targets: number;
    targetsSub: string;
    lastCheck: string;
    lastCheckAgo: string;
    openAlerts: number;
    openAlertsSub: string;
    checks: number;
    checksSub: string;
  };
  drift: SeverityChip[];
  driftTotal: number;
  targets: TargetView[];
  legend: { severity: Severity }[];
}

export interface TargetView {
  name: string;
  anchor: string;
  statusClass: 'clean' | 'drift' | 'never' | 'disabled';
  statusText: string;
  /** Class of the target's dot in the navigation: its highest severity, or clean. */
  dotClass: string;
  labels: { key: string; value: string }[];
  meta: string[];
  timeline: TimelineView;
  openAlerts: { severity: Severity; source: string; class: string; changes: string; opened: string; openedAgo: string; updated: string; id: string }[];
  waivers: { id: string; keys: string; until: string; by: string; reason: string }[];
  accepts: { time: string; ago: string; by: string; reason: string; scope: string; chips: SeverityChip[] }[];
  latest: {
    time: string;
    ago: string;
    report: string;
    summary: string;
    chips: SeverityChip[];
    changes: {
      severity: Severity;
      change: string;
      source: string;
      key: string;
      rule: string;
      before: string;
      after: string;
      attribution: string | null;
      /** The inline unified diff, one row per line with its class (add, del, hunk, meta, ctx). */
      diff: { rows: { cls: string; text: string }[]; notes: string[]; added: number; removed: number; long: boolean; more: number } | null;
    }[];
    more: number;
    clean: boolean;
  } | null;
  showSource: boolean;
}

export function pageView(model: ReportModel): PageView {
  const now = Date.parse(model.generatedAt);
  const drifting = model.targets.filter((t) => t.status === 'drift').length;
  const clean = model.targets.filter((t) => t.status === 'clean').length;
  const alertSeverities = model.targets.flatMap((t) => t.openAlerts.map((a) => a.severity));
  const worstAlert = SEVERITIES.find((s) => alertSeverities.includes(s));
  return {
    title: `Drift report: ${model.targets.map((t) => t.name).join(', ') || 'no targets'} (last ${model.window.label})`,
    generated: formatTime(model.generatedAt),
    window: { label: model.window.label, since: formatTime(model.window.since), until: formatTime(model.window.until) },
    ledger: { branch: model.ledger.branch, tip: model.ledger.tip.slice(0, 12) },
    tool: `${model.tool.name} ${model.tool.version}`,
    cards: {
      targets: model.summary.targets,
      targetsSub: [drifting ? `${drifting} drifting` : '', clean ? `${clean} clean` : ''].filter(Boolean).join(' · ') || 'none checked yet',
      lastCheck: model.summary.lastCheck ? formatTime(model.summary.lastCheck).replace(/ UTC$/, '') : 'never',
      lastCheckAgo: model.summary.lastCheck ? `UTC · ${relativeTime(Date.parse(model.summary.lastCheck), now)}` : 'no check recorded',
      openAlerts: model.summary.openAlerts,
      openAlertsSub: worstAlert ? `highest: ${worstAlert}` : 'all quiet',
      checks: model.summary.checks,
      checksSub: `${model.summary.drifted} found drift · ${plural(model.summary.accepts, 'accept')}`,
    },
    drift: chips(model.summary.drift, true),
    driftTotal: model.summary.driftTotal,
    targets: model.targets.map((t) => targetView(t, model, now)),
    legend: SEVERITIES.map((severity) => ({ severity })),
  };
}

function targetView(t: TargetReport, model: ReportModel, now: number): TargetView {
  const statusClass = !t.enabled ? 'disabled' : t.status === 'never checked' ? 'never' : t.status;
  const statusText = !t.enabled ? 'disabled' : t.status === 'drift' ? `drift · ${t.highest}` : t.status;
  const meta: string[] = [];
  meta.push(t.lastCheck ? `last check ${formatTime(t.lastCheck)} (${relativeTime(Date.parse(t.lastCheck), now)})` : 'never checked');
  if (t.baseline) meta.push(`baseline accepted ${formatTime(t.baseline.time)} by ${t.baseline.by}`);
  const changes = t.latest?.changes ?? [];
  return {
    name: t.name,
    anchor: `target-${t.name}`,
    statusClass,
    statusText,
    dotClass: t.status === 'drift' && t.highest !== 'none' ? `sev-${t.highest}` : t.status === 'clean' ? 'st-clean' : '',
    labels: Object.entries(t.labels).map(([key, value]) => ({ key, value })),
    meta,
    timeline: timelineView(t.checks, t.accepts, model),
    openAlerts: t.openAlerts.map((a) => ({
      severity: a.severity,
      source: a.source,
      class: a.class,
      changes: plural(a.changes, 'change'),
      opened: formatTime(a.openedAt),
      openedAgo: relativeTime(Date.parse(a.openedAt), now),
      updated: formatTime(a.updatedAt),
      id: a.id,
    })),
    waivers: (t.waivers ?? []).map((w) => ({ id: w.id, keys: w.keys.join(', '), until: formatTime(w.until), by: w.by, reason: w.reason })),
    accepts: t.accepts.map((a) => ({
      time: formatTime(a.time),
      ago: relativeTime(Date.parse(a.time), now),
      by: a.by,
      reason: a.reason,
      scope: a.scope === 'all' ? `all drift, ${plural(a.changes, 'change')}` : `${plural(a.keys.length, 'key')}, ${plural(a.changes, 'change')}`,
      chips: chips(a.bySeverity, false),
    })),
    latest: t.latest
      ? {
          time: formatTime(t.latest.time),
          ago: relativeTime(Date.parse(t.latest.time), now),
          report: t.latest.report,
          summary:
            t.latest.status === 'clean'
              ? 'no drift: the latest snapshot matches the baseline'
              : `${plural(t.latest.total, 'change')}: ${t.latest.added} added, ${t.latest.removed} removed, ${t.latest.changed} changed`,
          chips: chips(t.latest.bySeverity, false),
          changes: changes.map((c) => ({
            severity: c.severity,
            change: c.change,
            source: printable(c.source),
            key: printable(c.key),
            details: c.details.map(printable),
            rule: printable(c.rule),
            before: entryText(c.before, c.beforeSize),
            after: entryText(c.after, c.afterSize),
            attribution: c.attribution,
            diff: c.diff
              ? {
                  rows: c.diff.hunks ? c.diff.text.split('\n').map((line) => ({ cls: diffRowClass(line), text: line })) : [],
                  notes: c.diff.notes,
                  added: c.diff.added,
                  removed: c.diff.removed,
                  long: c.diff.long,
                  more: c.diff.textMore,
                }
              : null,
          })),
          more: t.latest.more,
          clean: t.latest.status === 'clean',
        }
      : null,
    showSource: new Set(changes.map((c) => c.source)).size > 1,
  };
}

function diffRowClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'meta';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
}

// --- the SVG timeline -------------------------------------------------------------------------

const WIDTH = 1120;
const HEIGHT = 176;
const PLOT = { left: 44, right: WIDTH - 14, top: 14, bottom: HEIGHT - 32 };
/** Up to this many checks in the window get one bar each; beyond, one bar per day (its peak). */
export const MAX_CHECK_BARS = 60;
const STACK_ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const DAY = 86_400_000;

interface Bucket {
  /** Slot position in [0, slots). */
  slot: number;
  checks: CheckPoint[];
  /** The check the bar shows: the only one, or the day's peak (most changes; latest on ties). */
  shown: CheckPoint;
  label: string;
}

export function timelineView(checks: CheckPoint[], accepts: AcceptRow[], model: ReportModel): TimelineView {
  const plotWidth = PLOT.right - PLOT.left;
  const plotHeight = PLOT.bottom - PLOT.top;
  const perCheck = checks.length <= MAX_CHECK_BARS;
  const since = Date.parse(model.window.since);
  const until = Date.parse(model.window.until);
  const firstDay = Math.floor(since / DAY);
  let slots: number;
  let buckets: Bucket[];
  if (perCheck) {
    slots = Math.max(checks.length, 1);
    const oneDay = new Set(checks.map((c) => c.time.slice(0, 10))).size <= 1;
    buckets = checks.map((c, i) => ({ slot: i, checks: [c], shown: c, label: oneDay ? c.time.slice(11, 16) : `${shortDate(c.time)} ${c.time.slice(11, 16)}` }));
  } else {
    slots = Math.floor(until / DAY) - firstDay + 1;
    const byDay = new Map<number, CheckPoint[]>();
    for (const c of checks) {
      const day = Math.floor(Date.parse(c.time) / DAY) - firstDay;
      byDay.set(day, [...(byDay.get(day) ?? []), c]);
    }
    buckets = [...byDay.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([slot, list]) => ({ slot, checks: list, shown: list.reduce((peak, c) => (c.total >= peak.total ? c : peak)), label: shortDate(new Date((firstDay + slot) * DAY).toISOString()) }));
  }
  const slotWidth = plotWidth / slots;
  const barWidth = Math.max(2, Math.min(36, slotWidth * 0.62));
  const max = Math.max(1, ...buckets.map((b) => b.shown.total));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const yOf = (value: number): number => round(PLOT.bottom - (value / top) * plotHeight);
  const yTicks = [];
  for (let v = 0; v <= top; v += step) yTicks.push({ y: yOf(v), label: String(v) });

  const bars: BarView[] = buckets.map((b) => {
    const x = round(PLOT.left + slotWidth * b.slot + (slotWidth - barWidth) / 2);
    const segments: BarView['segments'] = [];
    let base = 0;
    for (const severity of STACK_ORDER) {
      const n = b.shown.bySeverity[severity];
      if (n <= 0) continue;
      const y = yOf(base + n);
      segments.push({ severity, y, height: round(yOf(base) - y) });
      base += n;
    }
    return { x, width: round(barWidth), title: barTitle(b, perCheck), clean: b.shown.total === 0, cleanY: PLOT.bottom - 4, segments };
  });

  // Label at most one slot in every ~90px (per check) or ~56px (per day), always the last one.
  const every = Math.max(1, Math.ceil((perCheck ? 96 : 56) / slotWidth));
  const labelled = buckets.filter((b, i) => (perCheck ? i % every === 0 || i === buckets.length - 1 : b.slot % every === 0));
  const xLabels = labelled
    .filter((b, i, list) => i === list.length - 1 || (list[i + 1].slot - b.slot) * slotWidth >= (perCheck ? 90 : 50))
    .map((b) => ({ x: round(PLOT.left + slotWidth * (b.slot + 0.5)), y: HEIGHT - 12, label: b.label }));
  if (!perCheck) {
    // Per day: label the days on a regular grid, with or without checks.
    xLabels.length = 0;
    for (let slot = 0; slot < slots; slot += every) xLabels.push({ x: round(PLOT.left + slotWidth * (slot + 0.5)), y: HEIGHT - 12, label: shortDate(new Date((firstDay + slot) * DAY).toISOString()) });
  }

  const acceptMarks = accepts
    .map((a) => {
      const t = Date.parse(a.time);
      let position: number;
      if (perCheck) position = checks.filter((c) => Date.parse(c.time) <= t).length;
      else position = (t - firstDay * DAY) / DAY;
      return { x: round(PLOT.left + slotWidth * Math.min(slots, Math.max(0, position))), title: `accepted ${formatTime(a.time)} by ${a.by}: ${a.reason}` };
    })
    .reverse();

  const drifted = checks.filter((c) => c.status === 'drift').length;
  const caption = checks.length === 0
    ? `No checks in the last ${model.window.label}`
    : `${perCheck ? 'Changes found by each check' : 'Most changes found by one check, per day'} · ${plural(checks.length, 'check')}, ${drifted} with drift · last ${model.window.label}`;
  return { width: WIDTH, height: HEIGHT, unit: perCheck ? 'check' : 'day', caption, empty: checks.length === 0, plot: PLOT, yTicks, xLabels, bars, accepts: acceptMarks };
}

function barTitle(b: Bucket, perCheck: boolean): string {
  const counts = STACK_ORDER.filter((s) => b.shown.bySeverity[s] > 0).map((s) => `${b.shown.bySeverity[s]} ${s}`);
  const what = b.shown.total === 0 ? 'clean' : `${plural(b.shown.total, 'change')} (${counts.join(', ')})`;
  if (perCheck) return `${formatTime(b.shown.time)}: ${what}`;
  const drifted = b.checks.filter((c) => c.status === 'drift').length;
  return `${b.shown.time.slice(0, 10)}: ${plural(b.checks.length, 'check')}, ${drifted} with drift; peak ${what}`;
}

/** 1, 2 or 5 × 10^k, so that `max` needs at most 5 ticks. */
function niceStep(max: number): number {
  const raw = max / 4;
  if (raw <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) as number);
}

// --- small formatting helpers -----------------------------------------------------------------

function chips(counts: SeverityCounts, all: boolean): SeverityChip[] {
  return SEVERITIES.filter((s) => all || counts[s] > 0).map((severity) => ({ severity, count: counts[severity], zero: counts[severity] === 0 }));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-03-01T06:00:00.000Z` → `Mar 1`. */
function shortDate(iso: string): string {
  return `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${Number(iso.slice(8, 10))}`;
}

/** `2026-03-01T06:00:00.000Z` → `2026-03-01 06:00 UTC` (the page is in UTC, like the ledger). */
export function formatTime(iso: string): string {
  return Number.isFinite(Date.parse(iso)) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

function entryText(hash: string | null, size: number | null): string {
  if (hash === null && size === null) return '–';
  return [hash ? hash.slice(0, 8) : null, size === null ? null : sizeText(size)].filter(Boolean).join(' · ');
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
