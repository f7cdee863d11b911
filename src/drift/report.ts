import type { Attribution } from './attribution.js';
import { SEVERITIES, mostSevere, severityRank, type ChangeKind, type Severity, type SeverityConfig } from './severity-levels.js';
import { displayPath } from '../match/field-pattern.js';
import { ExactInteger } from './exact-json.js';
import { type DiffOptions, diffFields, showValue, type FieldChange } from './fields.js';
import { isKubernetesObject, kubernetesListItems } from './list-keys.js';
import { terraformListItems } from './terraform-sets.js';
import { canonicalJson } from './canonical-json.js';
import type { Json, ManifestEntry } from './manifest.js';
import { createClassifier } from './severity.js';

/** One changed field of a structured entry, classified like a change. */
export interface ClassifiedField extends FieldChange {
  severity: Severity;
  rule: string;
}

/** One entry that differs between baseline and snapshot. */
export interface Change {
  source: string;
  key: string;
  change: ChangeKind;
  severity: Severity;
  rule: string;
  /** Entries as stored, without their structured `content` and `files` (the ledger has those). */
  before?: ManifestEntry;
  after?: ManifestEntry;
  /** Structured entries: the fields that differ (at most MAX_FIELDS; `fieldsOmitted` counts the rest). */
  fields?: ClassifiedField[];
  fieldsOmitted?: number;
  /** Directory groups: the files that differ. */
  files?: { path: string; change: ChangeKind }[];
  /** Pairs (Terraform, Kubernetes desired vs live): the actions the source reports. */
  actions?: string[];
  /** Terraform: the address the resource had before a move (its key is the new address). */
  movedFrom?: string;
  /** Who made the change, as observed when the report was made (attribution/attribution.ts); kept as recorded by verify. */
  attribution?: Attribution;
}

/** At most this many field changes are listed per change (the rest are counted). */
export const MAX_FIELDS = 100;
/** Field values longer than this (as JSON) are stored as a short description instead. */
const MAX_VALUE_CHARS = 2000;

export interface EntryError {
  source: string;
  key: string;
  message: string;
}

export interface DriftSummary {
  added: number;
  removed: number;
  changed: number;
  total: number;
  /** The most severe change, or "none" when there is no drift. */
  highest: Severity | 'none';
  bySeverity: Record<Severity, number>;
}

export interface DriftReport {
  format: 1;
  kind: 'report';
  /** Link to the previous record of the target (see ledger/FORMAT.md, "Hash chain"). */
  chain?: { previous: string | null; sha256: string | null };
  id: string;
  target: string;
  time: string;
  status: 'clean' | 'drift';
  summary: DriftSummary;
  changes: Change[];
  errors: EntryError[];
  baseline: { tree: string | null };
  snapshot: { id: string | null; tree: string | null };
  severity: SeverityConfig;
  /** Sources whose entries are observed, never baselined (metrics): all their current entries are drift. */
  observed?: string[];
  /** Changes a waiver covered when the report was recorded (see drift/waivers.ts): not alerting, not drift for exit codes. */
  waived?: { source: string; key: string; waiver: string; until: string }[];
  tool: { name: string; version: string };
}

export interface Delta {
  source: string;
  key: string;
  before?: ManifestEntry;
  after?: ManifestEntry;
}

/**
 * Classifies entry deltas into a report body (pure). A delta whose current side could not be read
 * is not drift: the entry's state is unknown, and it is listed under `errors` by the caller. One
 * whose baseline side could not be read but is readable now is drift ("changed"): otherwise an
 * entry unreadable when the baseline was taken would never be compared (nor accepted by key) again.
 */
export function classifyDeltas(
  target: string,
  deltas: readonly Delta[],
  severity: SeverityConfig,
): { changes: Change[]; summary: DriftSummary; status: 'clean' | 'drift' } {
  const classify = createClassifier(severity);
  const changes: Change[] = [];
  for (const delta of deltas) {
    if (delta.after?.error !== undefined) continue;
    const change: ChangeKind = !delta.before ? 'added' : !delta.after ? 'removed' : 'changed';
    const detail = describeDelta(delta);
    const current = delta.after ?? delta.before;
    const declared = current?.severity ? { severity: current.severity, rule: current.rule ?? 'source' } : undefined;
    const fieldPaths = detail.fields?.map((f) => f.path) ?? (detail.structured ? [''] : undefined);
    const type = resourceType(current);
    const decided = classify({ target, source: delta.source, key: delta.key, change, fields: fieldPaths, declared, ...(type ? { type } : {}) });
    const fields = detail.fields?.map((f, i) => ({ ...f, severity: decided.fields?.[i]?.severity ?? decided.severity, rule: decided.fields?.[i]?.rule ?? decided.rule }));
    const listed = fields && fields.length > MAX_FIELDS ? fields.slice(0, MAX_FIELDS) : fields;
    changes.push({
      source: delta.source,
      key: delta.key,
      change,
      severity: decided.severity,
      rule: decided.rule,
      ...(delta.before ? { before: stripEntry(delta.before) } : {}),
      ...(delta.after ? { after: stripEntry(delta.after) } : {}),
      ...(listed && listed.length > 0 ? { fields: listed } : {}),
      ...(fields && listed && fields.length > listed.length ? { fieldsOmitted: fields.length - listed.length } : {}),
      ...(detail.files && detail.files.length > 0 ? { files: detail.files } : {}),
      ...(detail.actions ? { actions: detail.actions } : {}),
      ...(detail.movedFrom ? { movedFrom: detail.movedFrom } : {}),
    });
  }
  changes.sort(compareChanges);
  const summary = summarize(changes);
  return { changes, summary, status: changes.length > 0 ? 'drift' : 'clean' };
}

/** An entry as a report shows it: the stored fields, without the (possibly large) content. */
export function stripEntry(entry: ManifestEntry): ManifestEntry {
  if (entry.content === undefined && entry.files === undefined) return entry;
  const { content: _content, files: _files, ...rest } = entry;
  return rest;
}

/**
 * A Terraform pair (content with `type`): set elements matched by value (terraform-sets.ts), every
 * list when the source had no provider schema (no `sets` in the content).
 */
function terraformDiff(content: Json): DiffOptions {
  if (content === null || typeof content !== 'object' || Array.isArray(content) || content instanceof ExactInteger || typeof content.type !== 'string') return {};
  const sets = Array.isArray(content.sets) ? content.sets.filter((s): s is string => typeof s === 'string').map((s) => s.split('.')) : undefined;
  return { listItems: terraformListItems(sets, canonicalJson), pairUnmatched: true };
}

/** Kubernetes objects: lists merged by key are compared by key (see list-keys.ts). */
const KUBERNETES_DIFF: DiffOptions = { listItems: kubernetesListItems };

interface DeltaDetail {
  /** The entry is structured (has content) on the side that matters, so field rules apply. */
  structured: boolean;
  fields?: FieldChange[];
  files?: { path: string; change: ChangeKind }[];
  actions?: string[];
  movedFrom?: string;
}

/**
 * What changed inside an entry: the differing fields of structured content (for a pair, the
 * source's own before → after when the drift is new, else how the live side moved since the
 * baseline), or the differing files of a directory group.
 */
export function describeDelta(delta: { before?: ManifestEntry; after?: ManifestEntry }): DeltaDetail {
  const { before, after } = delta;
  const actions = pairActions(after) ?? pairActions(before);
  const moved = previousAddress(after);
  if (moved) return { ...describePair(before, after, actions), movedFrom: moved };
  return describePair(before, after, actions);
}

/** A Terraform pair's `previous_address` (the resource was moved), if any. */
function previousAddress(entry: ManifestEntry | undefined): string | undefined {
  const content = entry?.pair ? entry.content : undefined;
  if (content === null || content === undefined || typeof content !== 'object' || Array.isArray(content) || content instanceof ExactInteger) return undefined;
  return typeof content.previous_address === 'string' ? content.previous_address : undefined;
}

function describePair(before: ManifestEntry | undefined, after: ManifestEntry | undefined, actions: string[] | undefined): DeltaDetail {
  const current = after ?? before;
  if (current?.type === 'dir') {
    return { structured: false, files: diffFileMaps(before?.files, after?.files) };
  }
  if (after?.pair && after.content !== undefined) {
    const pair = after.content as { before?: Json; after?: Json };
    // A whole object created or deleted: the action says it, a field list would only repeat the object.
    if (!before && (pair.before == null || pair.after == null)) return { structured: true, ...(actions ? { actions } : {}) };
    const options = isKubernetesObject(pair.before ?? pair.after) ? KUBERNETES_DIFF : terraformDiff(after.content);
    const fields = before?.pair && before.content !== undefined ? diffFields((before.content as { after?: Json }).after ?? null, pair.after ?? null, options) : diffFields(pair.before ?? null, pair.after ?? null, options);
    return { structured: true, fields: fields.map(capValues), ...(actions ? { actions } : {}) };
  }
  if (before && after && before.content !== undefined && after.content !== undefined) {
    const options = isKubernetesObject(after.content) ? KUBERNETES_DIFF : {};
    return { structured: true, fields: diffFields(before.content, after.content, options).map(capValues), ...(actions ? { actions } : {}) };
  }
  return { structured: current?.content !== undefined, ...(actions ? { actions } : {}) };
}

/**
 * The resource type of a structured entry, for rules with `type`: a Terraform resource's `type`,
 * a Kubernetes object's `kind` (for a desired-vs-live pair, the rendered object's).
 */
export function resourceType(entry: ManifestEntry | undefined): string | undefined {
  const content = entry?.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content) || content instanceof ExactInteger) return undefined;
  if (typeof content.type === 'string' && entry?.pair) return content.type;
  if (typeof content.kind === 'string') return content.kind;
  const side = (entry?.pair ? (content.before ?? content.after) : undefined) as Json | undefined;
  return side !== null && typeof side === 'object' && !Array.isArray(side) && !(side instanceof ExactInteger) && typeof side.kind === 'string' ? side.kind : undefined;
}

function pairActions(entry: ManifestEntry | undefined): string[] | undefined {
  if (!entry?.pair || entry.content === null || typeof entry.content !== 'object' || Array.isArray(entry.content)) return undefined;
  const actions = (entry.content as { actions?: Json }).actions;
  return Array.isArray(actions) && actions.every((a) => typeof a === 'string') ? (actions as string[]) : undefined;
}

function diffFileMaps(before: Record<string, string> = {}, after: Record<string, string> = {}): { path: string; change: ChangeKind }[] {
  const out: { path: string; change: ChangeKind }[] = [];
  for (const path of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (!Object.hasOwn(before, path)) out.push({ path, change: 'added' });
    else if (!Object.hasOwn(after, path)) out.push({ path, change: 'removed' });
    else if (before[path] !== after[path]) out.push({ path, change: 'changed' });
  }
  return out;
}

function capValues(field: FieldChange): FieldChange {
  const cap = (value: Json | undefined): Json | undefined => {
    if (value === undefined) return undefined;
    const text = JSON.stringify(value);
    if (text.length <= MAX_VALUE_CHARS) return value;
    return `(${Array.isArray(value) ? 'list' : typeof value === 'object' && value !== null ? 'object' : typeof value}, ${text.length} characters)`;
  };
  const out: FieldChange = { path: field.path, change: field.change };
  if (field.before !== undefined) out.before = cap(field.before);
  if (field.after !== undefined) out.after = cap(field.after);
  return out;
}

export function compareChanges(a: Change, b: Change): number {
  return severityRank(a.severity) - severityRank(b.severity) || compareStrings(a.key, b.key) || compareStrings(a.source, b.source);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function summarize(changes: readonly Change[]): DriftSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let highest: Severity | undefined;
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const change of changes) {
    counts[change.change]++;
    bySeverity[change.severity]++;
    highest = mostSevere(highest, change.severity);
  }
  return { ...counts, total: changes.length, highest: highest ?? 'none', bySeverity };
}

/**
 * One line per thing that differs inside a change, as reports and alerts print them:
 * `models.primary.name: "gpt-4o" → "gpt-4.1"`, `node_pools[2]: added {"name":"gpu"}`,
 * `file models/order.py changed`. At most `max` lines; a last line counts the rest.
 */
export function changeDetails(change: Change, max = 10): string[] {
  const lines: string[] = [];
  const reading = change.after?.reading;
  if (reading !== undefined) lines.push(`observed ${reading} (${change.rule})`);
  if (change.actions && change.actions.length > 0 && !(change.actions.length === 1 && change.actions[0] === 'update')) lines.push(`action: ${change.actions.join(', ')}`);
  if (change.movedFrom) lines.push(`moved from ${change.movedFrom}`);
  for (const field of change.fields ?? []) {
    const where = field.path === '' ? '' : `${displayPath(field.path)}: `;
    if (field.change === 'changed') lines.push(`${where}${showValue(field.before)} → ${showValue(field.after)}`);
    else if (field.change === 'added') lines.push(`${where}added ${showValue(field.after)}`);
    else lines.push(`${where}removed (was ${showValue(field.before)})`);
  }
  for (const file of change.files ?? []) lines.push(`file ${file.path} ${file.change}`);
  const hidden = (change.fieldsOmitted ?? 0) + Math.max(0, lines.length - max);
  const shown = lines.slice(0, max);
  if (hidden > 0) shown.push(`… and ${hidden} more`);
  return shown;
}

/**
 * The deltas a report classifies: the manifest diff, except that observed-only sources (metrics)
 * have no baseline, so every entry they have now is drift and none of their baseline entries count.
 */
export function reportDeltas(diff: readonly Delta[], observed: ReadonlySet<string>, current: (source: string) => Iterable<[string, ManifestEntry]>): Delta[] {
  if (observed.size === 0) return [...diff];
  const deltas = diff.filter((d) => !observed.has(d.source));
  for (const source of [...observed].sort()) for (const [key, after] of current(source)) deltas.push({ source, key, after });
  return deltas;
}
