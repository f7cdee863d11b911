import type { Severity } from '../drift/severity-levels.js';
import { changeDetails, type DriftSummary } from '../drift/report.js';
import type { ManifestEntry } from '../drift/manifest.js';
import type { DeliveryOutcome } from '../alerts/delivery.js';
import type { PreviewedPayload } from '../channels/channel.js';
import { attributionText } from '../drift/attribution.js';
import { unifiedText } from '../drift/content-diff.js';
import type { ShownChange } from '../session/change-content.js';

/** Plain-text rendering helpers for human output (tables, sizes, ages, colour on a TTY). */
export interface Style {
  color: boolean;
}

const SEVERITY_COLOR: Record<Severity, string> = { critical: '1;35', high: '31', medium: '33', low: '36', info: '2' };

export function paint(style: Style, code: string, text: string): string {
  return style.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function severityText(style: Style, severity: Severity | 'none'): string {
  return severity === 'none' ? severity : paint(style, SEVERITY_COLOR[severity], severity);
}

/** Left-aligned columns; colour codes do not count towards widths. */
export function table(rows: string[][], indent = '  '): string {
  const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visible(cell)))).join('  ').trimEnd())
    .join('\n');
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function entryState(entry: ManifestEntry | undefined): string {
  if (!entry) return '–';
  if (entry.type === 'symlink') return `→ ${entry.target ?? '?'}`;
  if (entry.type === 'value' || entry.type === 'dir') return `${(entry.sha256 ?? '?').slice(0, 8)}${entry.type === 'dir' ? ' dir' : ''}`;
  return `${(entry.sha256 ?? '?').slice(0, 8)}${entry.size !== undefined ? ` ${formatSize(entry.size)}` : ''}${entry.mode ? ` ${entry.mode}` : ''}`;
}

/** The changes as a table, then field/file details, then each change's content diff and attribution (contentLines). */
export function changesTable(style: Style, changes: readonly ShownChange[], showSource: boolean): string {
  const header = ['SEVERITY', 'CHANGE', ...(showSource ? ['SOURCE'] : []), 'KEY', 'RULE', 'BEFORE', 'AFTER'];
  const rows = changes.map((c) => [
    severityText(style, c.severity),
    c.change,
    ...(showSource ? [c.source] : []),
    c.key,
    c.rule,
    entryState(c.before),
    entryState(c.after),
  ]);
  const details = changes.flatMap((c) => changeDetails(c).map((line) => `  ${showSource ? `${c.source}:` : ''}${c.key}: ${line}`));
  return [table([header.map((h) => paint(style, '1', h)), ...rows]), ...details, ...contentLines(style, changes, showSource)].join('\n');
}

export function summaryLine(style: Style, summary: DriftSummary): string {
  if (summary.total === 0) return 'no drift';
  const parts = (Object.entries(summary.bySeverity) as [Severity, number][]).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${severityText(style, s)}`);
  const kinds = [`${summary.added} added`, `${summary.removed} removed`, `${summary.changed} changed`];
  return `${summary.total} change${summary.total === 1 ? '' : 's'} (${parts.join(', ')}; ${kinds.join(', ')})`;
}

/** One line for a notification that was not delivered now, or came from the outbox (undefined for a plain delivery). */
export function deliveryLine(style: Style, d: DeliveryOutcome): string | undefined {
  const budget = d.attempts !== undefined && d.maxAttempts !== undefined ? `, attempt ${d.attempts} of ${d.maxAttempts}` : '';
  switch (d.status) {
    case 'delivered':
      return d.retried ? `delivered from the outbox: ${d.channel} ${d.subject}` : undefined;
    case 'unrendered':
      return `${paint(style, '33', 'not delivered')} (its template failed): ${d.error}`;
    case 'queued':
      return `${paint(style, '33', 'not delivered')} (kept in the outbox for the next run${budget}): ${d.error}`;
    case 'kept':
      return `${paint(style, '33', 'not delivered')} (still in the outbox${budget}): ${d.error}`;
    case 'abandoned': {
      const why = d.reason === 'attempts' ? `after ${d.attempts} failed attempts` : d.reason === 'age' ? 'out of time (alerts.outbox.max_age)' : 'dropped';
      return `${paint(style, '31', 'abandoned')} ${d.channel} ${d.subject} ${why}, recorded as dead ${d.dead}: ${d.error}`;
    }
  }
}

/** Rendered payloads as `--dry-run` shows them. */
export function payloadText(payloads: PreviewedPayload[]): string {
  if (payloads.length === 0) return 'nothing to send';
  return payloads
    .map((p) => {
      const body = p.preview !== undefined ? p.preview.trimEnd() : p.kind === 'slack' || p.kind === 'webhook' ? JSON.stringify(JSON.parse(p.body), null, 2) : p.body.trimEnd();
      return `--- ${p.kind} channel "${p.channel}": ${p.subject}\n${body}`;
    })
    .join('\n');
}

/** One line per delivery outcome. */
export function deliveryLines(style: Style, deliveries: DeliveryOutcome[]): string[] {
  return deliveries.map((d) => (d.status === 'delivered' ? `delivered to ${d.channel}: ${d.subject}${d.retried ? ' (from the outbox)' : ''}` : (deliveryLine(style, d) as string)));
}

/** The first 12 digits of a commit id, or `none`. */
export function shortOid(oid: string | null): string {
  return oid ? oid.slice(0, 12) : 'none';
}

/**
 * The content diff and attribution of each change, for people: `diff --driftctl KEY`, the unified
 * diff (coloured on a TTY: removed red, added green, hunk headers cyan), its notes, and who made
 * the change. Empty when no change has either.
 */
export function contentLines(style: Style, changes: readonly ShownChange[], showSource: boolean): string[] {
  const out: string[] = [];
  for (const c of changes) {
    const name = `${showSource ? `${c.source}:` : ''}${c.key}`;
    const who = attributionText(c.attribution);
    const diff = c.diff;
    if (!who && (!diff || (diff.hunks.length === 0 && diff.notes.length === 0))) continue;
    out.push('', paint(style, '1', `${c.change} ${name}`));
    if (who) out.push(`  ${who}`);
    if (diff) {
      for (const note of diff.notes) out.push(paint(style, '2', `  (${note})`));
      const text = unifiedText(diff);
      if (text) for (const line of text.split('\n')) out.push(diffLine(style, line));
    }
  }
  return out;
}

/** One line of a unified diff, coloured on a TTY. */
export function diffLine(style: Style, line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return paint(style, '1', line);
  if (line.startsWith('@@')) return paint(style, '36', line);
  if (line.startsWith('+')) return paint(style, '32', line);
  if (line.startsWith('-')) return paint(style, '31', line);
  return line;
}
