import { diffTexts, pairTexts, valueText, type ContentDiff } from '../drift/content-diff.js';
import type { CaptureSkip, ManifestEntry } from '../drift/manifest.js';
import type { Change, DriftReport } from '../drift/report.js';
import type { Ledger } from '../ledger/ledger.js';
import { recordPath } from '../ledger/layout.js';
import { readHead } from '../ledger/reader.js';
import { readCapturedContent } from '../ledger/captured-content.js';
import { lookupEntry, type ObjectReader } from '../ledger/manifest-tree.js';

/**
 * The unified diff of each change's content is derived from the ledger when it is shown: kept
 * beside the report (never in its record, which verify recomputes from the manifests alone),
 * keyed by `changeKey`. Attribution, observed once, is part of the recorded change itself.
 */

export function changeKey(change: Pick<Change, 'source' | 'key'>): string {
  return `${change.source}\u0000${change.key}`;
}

/** A change as output shows it: the report's change with its content diff. */
export type ShownChange = Change & { diff?: ContentDiff };

export function withDiffs<T extends { changes: Change[] }>(report: T, diffs: ReadonlyMap<string, ContentDiff> | undefined): T & { changes: ShownChange[] } {
  if (!diffs || diffs.size === 0) return report as T & { changes: ShownChange[] };
  return { ...report, changes: report.changes.map((c) => (diffs.has(changeKey(c)) ? { ...c, diff: diffs.get(changeKey(c)) } : c)) };
}

export interface ContentDiffOptions {
  /** Lines of context around each change (default 3). */
  context?: number;
}

/** A report with more changes than this shows diffs for the first ones only (the most severe first). */
export const MAX_DIFFED_CHANGES = 500;

const SKIP_NOTES: Record<CaptureSkip, string> = {
  binary: 'binary content: only its hash is kept',
  oversize: 'larger than capture_max_bytes: only its hash is kept',
  'secret-name': 'its name looks like a secret: content not captured (list it explicitly under capture to keep it)',
  'not-listed': 'content not captured (no capture glob lists it)',
  off: 'content capture is off',
};

/**
 * The content diff of each change that has content on at least one side: captured files (from
 * their blobs), `value` entries (their normalised content, read from the manifests `trees` name)
 * and pairs (the two sides the source compared). Entries from ledgers written before capture
 * simply have no diff. Reads only the blobs and shards of the changed entries, and diffs at most
 * MAX_DIFFED_CHANGES changes (in report order: the most severe first); the others have none.
 */
export async function contentDiffs(
  reader: ObjectReader,
  changes: readonly Change[],
  trees: { before: string | undefined | null; after: string | undefined | null },
  options: ContentDiffOptions = {},
): Promise<Map<string, ContentDiff>> {
  const out = new Map<string, ContentDiff>();
  for (const change of changes.slice(0, MAX_DIFFED_CHANGES)) {
    const diff = await changeDiff(reader, change, trees, options.context);
    if (diff) out.set(changeKey(change), diff);
  }
  return out;
}

async function changeDiff(reader: ObjectReader, change: Change, trees: { before: string | undefined | null; after: string | undefined | null }, context: number | undefined): Promise<ContentDiff | undefined> {
  const { before, after } = change;
  const kind = (after ?? before)?.type;
  if (kind === 'file') return fileDiff(reader, change, context);
  if (kind !== 'value') return undefined;
  const stored = async (tree: string | undefined | null, entry: ManifestEntry | undefined): Promise<ManifestEntry | undefined> =>
    entry && tree ? ((await lookupEntry(reader, tree, change.source, change.key)).entry ?? entry) : entry;
  const [b, a] = await Promise.all([stored(trees.before, before), stored(trees.after, after)]);
  if (a?.pair || b?.pair) {
    const sides = pairTexts(a ?? b);
    if (!sides) return undefined;
    const diff = diffTexts(change.key, sides.before, sides.after, context);
    diff.from = sides.before === undefined ? '/dev/null' : `expected/${change.key}`;
    diff.to = sides.after === undefined ? '/dev/null' : `actual/${change.key}`;
    return diff;
  }
  const text = (entry: ManifestEntry | undefined): string | undefined => (entry ? (entry.content === true ? `${change.key}\n` : valueText(entry.content)) : undefined);
  const [tb, ta] = [text(b), text(a)];
  if (tb === undefined && ta === undefined) return undefined;
  return diffTexts(change.key, tb, ta, context);
}

async function fileDiff(reader: ObjectReader, change: Change, context: number | undefined): Promise<ContentDiff | undefined> {
  const { before, after } = change;
  const notes: string[] = [];
  for (const entry of [before, after]) if (entry?.capture && entry.capture !== 'not-listed' && entry.capture !== 'off') notes.push(SKIP_NOTES[entry.capture]);
  const redacted = Math.max(before?.redacted ?? 0, after?.redacted ?? 0);
  const hasBefore = typeof before?.blob === 'string';
  const hasAfter = typeof after?.blob === 'string';
  if (!hasBefore && !hasAfter) return notes.length > 0 ? { from: `a/${change.key}`, to: `b/${change.key}`, hunks: [], added: 0, removed: 0, notes: [...new Set(notes)] } : undefined;
  if (before && !hasBefore && change.change === 'changed') notes.push(before.capture ? `before: ${SKIP_NOTES[before.capture]}` : 'before: content not captured (recorded before capture was on): the diff shows the new content whole');
  if (after && !hasAfter && change.change === 'changed') notes.push(after.capture ? `after: ${SKIP_NOTES[after.capture]}` : 'after: content not captured');
  const text = async (entry: ManifestEntry | undefined): Promise<string | undefined> => (await readCapturedContent(reader, entry))?.toString('utf8');
  const [tb, ta] = await Promise.all([text(before), text(after)]);
  const diff = diffTexts(change.key, tb, ta, context);
  if (redacted > 0) notes.push(`secrets redacted (${redacted}): shown as [REDACTED:kind:digest] markers`);
  diff.notes = [...new Set(notes)];
  return diff;
}

/**
 * Changes between the baseline and the latest snapshot with the attribution the latest report
 * recorded, when that report compared exactly these two manifests (attribution is observed once,
 * at check time, in the work tree).
 */
export async function withRecordedAttribution(ledger: Ledger, commit: string, target: string, changes: Change[]): Promise<Change[]> {
  if (changes.length === 0) return changes;
  const head = await readHead(ledger, commit, target);
  if (!head.report || !head.baseline || !head.snapshot) return changes;
  const report = await ledger.readJson<DriftReport>(commit, recordPath(target, head.report.id, 'report'));
  if (!report || report.baseline.tree !== head.baseline.tree || report.snapshot.tree !== head.snapshot.tree) return changes;
  const recorded = new Map(report.changes.filter((c) => c.attribution).map((c) => [changeKey(c), c.attribution]));
  return changes.map((c) => (recorded.has(changeKey(c)) ? { ...c, attribution: recorded.get(changeKey(c)) } : c));
}
