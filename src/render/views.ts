import { SEVERITIES, type Severity } from '../drift/severity-levels.js';
import { changeDetails, summarize, type Change, type DriftSummary } from '../drift/report.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { hunkLines, unifiedText, type ContentDiff } from '../drift/content-diff.js';
import { attributionText } from '../drift/attribution.js';
import { truncate } from './helpers.js';

/**
 * View models: the plain data templates render (pure). Every field is always present (null when
 * unknown) because templates run in strict mode, where a missing field is an error.
 */
export interface ChangeView {
  source: string;
  key: string;
  change: string;
  severity: Severity;
  rule: string;
  before: string | null;
  after: string | null;
  beforeSize: number | null;
  afterSize: number | null;
  /** What differs inside the entry: fields of structured content, files of a group (at most 5 lines). */
  details: string[];
  /** The content diff, when the entry's content is known on either side (null otherwise). */
  diff: DiffView | null;
  /** Who made the change, in words (null when unknown). */
  attribution: string | null;
}

/** A content diff shaped for templates: short displays take `head`, long ones `text`. */
export interface DiffView {
  /** True when there are hunks (false: only `notes`, such as binary content). */
  hunks: boolean;
  /** The unified diff (`---`, `+++`, hunks), at most DIFF_TEXT_LINES lines. */
  text: string;
  /** Lines of the diff left out of `text`. */
  textMore: number;
  /** The first hunk lines (headers included) for short displays (Slack): each at most 150 characters, ``` defused. */
  head: string[];
  /** Lines of the hunks left out of `head`. */
  more: number;
  added: number;
  removed: number;
  notes: string[];
  /** More than DIFF_LONG_LINES lines: collapse it (`<details>` in a pull request). */
  long: boolean;
  /** A Markdown code fence longer than any run of backticks in `text`. */
  fence: string;
}

/** At most this many lines of a diff are rendered whole (pull requests, the HTML report). */
export const DIFF_TEXT_LINES = 400;
const DIFF_LONG_LINES = 30;
/** Short displays (Slack) show at most this many lines and characters of a diff. */
export const DIFF_HEAD_LINES = 15;
const DIFF_HEAD_CHARS = 1800;

export function diffView(diff: ContentDiff | undefined, headLines = DIFF_HEAD_LINES): DiffView | null {
  if (!diff || (diff.hunks.length === 0 && diff.notes.length === 0)) return null;
  const all = diff.hunks.length > 0 ? unifiedText(diff).split('\n') : [];
  const text = all.slice(0, DIFF_TEXT_LINES).join('\n');
  const body = hunkLines(diff).lines;
  const head: string[] = [];
  let chars = 0;
  for (const line of body) {
    const shown = truncate(line, 150).replace(/```/g, '`\u200b``');
    if (head.length >= headLines || chars + shown.length + 1 > DIFF_HEAD_CHARS) break;
    head.push(shown);
    chars += shown.length + 1;
  }
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return {
    hunks: diff.hunks.length > 0,
    text,
    textMore: Math.max(0, all.length - DIFF_TEXT_LINES),
    head,
    more: body.length - head.length,
    added: diff.added,
    removed: diff.removed,
    notes: diff.notes,
    long: all.length > DIFF_LONG_LINES,
    fence: '`'.repeat(Math.max(3, longest + 1)),
  };
}

export interface SeverityCount {
  severity: Severity;
  count: number;
}

export interface SummaryView {
  total: number;
  added: number;
  removed: number;
  changed: number;
  highest: string;
  bySeverity: SeverityCount[];
}

export interface AlertView {
  now: string;
  event: 'opened' | 'updated' | 'reminded' | 'resolved';
  title: string;
  headline: string;
  alert: { id: string; fingerprint: string; class: string; severity: Severity; openedAt: string; state: 'open' | 'resolved' };
  target: { name: string; labels: { key: string; value: string }[] };
  source: string;
  summary: SummaryView;
  changes: ChangeView[];
  /** Changes not listed (the message was shortened to fit the channel's limits). */
  more: number;
  tier: 'full' | 'truncated' | 'summary';
  report: { id: string | null; link: string | null };
  /** Why a resolved alert resolved: `reason` drift-gone | accepted, and `text` saying it in words (null unless resolved). */
  resolution: { reason: string | null; text: string | null };
  tool: { name: string; version: string };
}

export interface AlertNotice {
  event: AlertView['event'];
  time: string;
  alertId: string;
  fingerprint: string;
  alertClass: string;
  target: string;
  labels: Record<string, string>;
  source: string;
  severity: Severity;
  openedAt: string;
  changes: Change[];
  reportId: string | null;
  reportLink: string | null;
  reason: string | null;
  /** The channels this notice goes to, when routing decided it (see routeNotice); else by channelWants. */
  channels?: string[];
  /** Content diffs of its changes by changeKey (session/change-content.ts), when the check computed them. */
  diffs?: ReadonlyMap<string, ContentDiff>;
}

export function changeView(change: Change, diff?: ContentDiff, headLines?: number): ChangeView {
  return {
    source: change.source,
    key: change.key,
    change: change.change,
    severity: change.severity,
    rule: change.rule,
    before: change.before?.sha256 ?? null,
    after: change.after?.sha256 ?? null,
    beforeSize: change.before?.size ?? null,
    afterSize: change.after?.size ?? null,
    details: changeDetails(change, 5),
    diff: diffView(diff, headLines),
    attribution: attributionText(change.attribution) ?? null,
  };
}

export function summaryView(summary: DriftSummary): SummaryView {
  return {
    total: summary.total,
    added: summary.added,
    removed: summary.removed,
    changed: summary.changed,
    highest: summary.highest,
    bySeverity: SEVERITIES.filter((s) => summary.bySeverity[s] > 0).map((severity) => ({ severity, count: summary.bySeverity[severity] })),
  };
}

/** The view of one alert notification, listing at most `shown` changes, with up to `diffLines` lines of each content diff (0: none). */
export function alertView(notice: AlertNotice, now: string, shown: number = Number.POSITIVE_INFINITY, diffLines = DIFF_HEAD_LINES): AlertView {
  const summary = summaryView(summarize(notice.changes));
  const listed = notice.changes.slice(0, shown);
  const where = notice.source === notice.target ? notice.target : `${notice.target} (${notice.source})`;
  const title =
    notice.reason === 'remediation-failed'
      ? `Remediation failed: ${where}`
      : notice.event === 'resolved'
      ? `Drift resolved: ${where}`
      : notice.event === 'reminded'
        ? `Drift still open: ${where}`
        : notice.event === 'updated'
          ? `Drift changed: ${where}`
          : `Drift detected: ${where}`;
  const count = `${summary.total} ${summary.total === 1 ? 'change' : 'changes'}`;
  const why = RESOLUTION_TEXT[notice.reason ?? ''] ?? RESOLUTION_TEXT['drift-gone'];
  const headline =
    notice.event === 'resolved'
      ? summary.total > 0
        ? `${title}: ${count} (highest ${summary.highest}) ${why}`
        : `${title}: ${why}`
      : `${title}: ${count}, highest ${notice.severity}`;
  return {
    now,
    event: notice.event,
    title,
    headline,
    alert: { id: notice.alertId, fingerprint: notice.fingerprint, class: notice.alertClass, severity: notice.severity, openedAt: notice.openedAt, state: notice.event === 'resolved' ? 'resolved' : 'open' },
    target: { name: notice.target, labels: Object.entries(notice.labels).map(([key, value]) => ({ key, value })) },
    source: notice.source,
    summary,
    changes: listed.map((c) => changeView(c, diffLines > 0 ? notice.diffs?.get(`${c.source}\u0000${c.key}`) : undefined, diffLines)),
    more: notice.changes.length - listed.length,
    tier: listed.length === notice.changes.length ? 'full' : listed.length > 0 ? 'truncated' : 'summary',
    report: { id: notice.reportId, link: notice.reportLink },
    resolution: { reason: notice.reason, text: notice.event === 'resolved' ? why : null },
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
  };
}

/** How a resolution reads in notifications, by the alert event's reason. */
const RESOLUTION_TEXT: Record<string, string> = {
  'drift-gone': 'reverted: back to the baseline',
  accepted: 'accepted as the new baseline',
  waived: 'waived: excused until the waiver expires',
  remediated: 'remediated: the remediation command brought it back to the baseline',
  restored: "restored: the baseline's captured content was written back",
};

export interface DigestView {
  now: string;
  since: string;
  title: string;
  counts: { opened: number; resolved: number; open: number; accepts: number; checks: number; drifted: number };
  bySeverity: SeverityCount[];
  opened: DigestAlert[];
  open: DigestAlert[];
  resolved: DigestAlert[];
  accepts: { target: string; by: string; reason: string; time: string; changes: number }[];
  /** Waivers in force that expire within 7 days of `now`, soonest first. */
  expiringWaivers: { target: string; id: string; keys: string[]; until: string; by: string; reason: string }[];
  topChanges: (ChangeView & { target: string })[];
  more: number;
  targets: { name: string; status: string; highest: string; lastCheck: string | null }[];
  tool: { name: string; version: string };
}

export interface DigestAlert {
  id: string;
  target: string;
  source: string;
  class: string;
  severity: Severity;
  openedAt: string;
  changes: number;
}

export interface PullRequestView {
  now: string;
  target: string;
  by: string;
  reason: string;
  changes: ChangeView[];
  summary: SummaryView;
  report: { id: string | null; link: string | null };
  tool: { name: string; version: string };
}
