import { structuredPatch } from 'diff';
import { canonicalJson } from './canonical-json.js';
import type { Json, ManifestEntry } from './manifest.js';

/**
 * Unified diffs of captured content (pure). The line diff itself is the `diff` package's
 * (Myers); this module only shapes its hunks for reports, templates and the CLI.
 */
export interface DiffHunk {
  /** `@@ -oldStart,oldLines +newStart,newLines @@` */
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Each line starts with " ", "-", "+" or "\\" (no newline at end of file). */
  lines: string[];
}

export interface ContentDiff {
  /** Path labels of both sides (`a/KEY`, `b/KEY`, or /dev/null for an added or removed entry). */
  from: string;
  to: string;
  hunks: DiffHunk[];
  added: number;
  removed: number;
  /** Said instead of (or besides) hunks: why content is missing, or that secrets were redacted. */
  notes: string[];
}

export const DEFAULT_CONTEXT = 3;
/** Beyond this many edits the diff is not computed (it would say little and cost much). */
const MAX_EDIT_LENGTH = 20_000;

/** The unified diff between two texts (undefined side: absent, as for an added or removed entry). */
export function diffTexts(key: string, before: string | undefined, after: string | undefined, context = DEFAULT_CONTEXT): ContentDiff {
  const from = before === undefined ? '/dev/null' : `a/${key}`;
  const to = after === undefined ? '/dev/null' : `b/${key}`;
  const patch = structuredPatch(from, to, before ?? '', after ?? '', undefined, undefined, { context: Math.max(0, context), maxEditLength: MAX_EDIT_LENGTH });
  if (!patch) return { from, to, hunks: [], added: 0, removed: 0, notes: ['too many differences to show a diff'] };
  let added = 0;
  let removed = 0;
  const hunks = patch.hunks.map((h): DiffHunk => {
    for (const line of h.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
    return {
      header: `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`,
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      lines: h.lines,
    };
  });
  return { from, to, hunks, added, removed, notes: [] };
}

/** git's hunk range: an empty side names the line before it, and a count of 1 is left out. */
function range(start: number, lines: number): string {
  const at = lines === 0 ? Math.max(0, start - 1) : start;
  return lines === 1 ? `${at}` : `${at},${lines}`;
}

/** The whole diff as text: `--- a/KEY`, `+++ b/KEY`, then each hunk. Empty when there are no hunks. */
export function unifiedText(diff: ContentDiff): string {
  if (diff.hunks.length === 0) return '';
  return [`--- ${diff.from}`, `+++ ${diff.to}`, ...diff.hunks.flatMap((h) => [h.header, ...h.lines])].join('\n');
}

/** Lines of the hunks only (headers and lines), at most `max`, and how many were left out. */
export function hunkLines(diff: ContentDiff, max = Number.POSITIVE_INFINITY): { lines: string[]; more: number } {
  const all = diff.hunks.flatMap((h) => [h.header, ...h.lines]);
  return { lines: all.slice(0, max), more: Math.max(0, all.length - max) };
}

/**
 * The text a `value` entry's content is diffed as: a string is itself (command/http `text`
 * output); anything else is its canonical JSON (sorted keys, two-space indent), one field a line.
 */
export function valueText(content: Json | undefined): string | undefined {
  if (content === undefined) return undefined;
  if (typeof content === 'string') return content.endsWith('\n') || content === '' ? content : `${content}\n`;
  return canonicalJson(content);
}

/** For a pair (Terraform, Kubernetes desired vs live): the two sides the source compared. */
export function pairTexts(entry: ManifestEntry | undefined): { before: string | undefined; after: string | undefined } | undefined {
  if (!entry?.pair || entry.content === null || typeof entry.content !== 'object' || Array.isArray(entry.content)) return undefined;
  const content = entry.content as { before?: Json; after?: Json };
  return { before: content.before === undefined || content.before === null ? undefined : valueText(content.before), after: content.after === undefined || content.after === null ? undefined : valueText(content.after) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of bytes that look like text: no NUL in the first 8,000 bytes (git's test) and valid UTF-8. */
export function textOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
