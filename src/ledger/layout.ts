import { randomBytes } from 'node:crypto';

/**
 * Paths, ids and commit messages of the ledger branch (pure). ledger/FORMAT.md documents them;
 * changing anything here is a format change.
 */
/**
 * The ledger format this version writes, and the newest it reads (it reads every older one).
 * Format 2 (hour partitions, grouped commits, heartbeats) is stated by `ledger.json`; a ledger of
 * format 1 is brought to 2 by a `migrate` commit before anything of format 2 is written into it.
 */
export const LEDGER_FORMAT = 2;
/** The format of a member branch of a ledger set (`ledger.layout: per-target`, ledger/FORMAT.md "Ledger sets"). */
export const LEDGER_FORMAT_SET = 3;
/** The newest format this version reads. */
export const LEDGER_FORMAT_READ = 3;
export type LedgerFormat = 1 | 2;
export const LEDGER_META_PATH = 'ledger.json';

export type RecordKind = 'snapshot' | 'report' | 'accept' | 'alert' | 'waiver' | 'remediation' | 'restore';

export function targetRoot(target: string): string {
  return `targets/${target}`;
}
export function latestPath(target: string): string {
  return `targets/${target}/latest`;
}
export function baselinePath(target: string): string {
  return `targets/${target}/baseline`;
}

/** Record ids sort by time: `20261124T195604123Z-9f2c1a` (UTC, milliseconds, 24 random bits). */
export const RECORD_ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-[0-9a-f]{6}$/;

export function newRecordId(time: Date): string {
  const iso = time.toISOString(); // 2026-11-24T19:56:04.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * `targets/<target>/records/YYYY/MM/DD/HH/<id>.<kind>.json`, partitioned by the id's UTC hour, so a
 * commit that adds a record rewrites four small trees (year, month, day, hour), never a day's list.
 * Ledgers written before (format 1) hold records at the day path (`dayRecordPath`); readers find
 * either (Ledger.blobAt falls back to the day path).
 */
export function recordPath(target: string, id: string, kind: RecordKind): string {
  const m = RECORD_ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a record id: ${id}`);
  return `targets/${target}/records/${m[1]}/${m[2]}/${m[3]}/${m[4]}/${id}.${kind}.json`;
}

/** The format-1 path of a record: partitioned by the id's UTC date only. */
export function dayRecordPath(target: string, id: string, kind: RecordKind): string {
  const m = RECORD_ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a record id: ${id}`);
  return `targets/${target}/records/${m[1]}/${m[2]}/${m[3]}/${id}.${kind}.json`;
}

/** The day path of an hour-partitioned record path, or undefined when `path` is not one. */
export function legacyRecordPath(path: string): string | undefined {
  const m = /^(targets\/[^/]+\/records\/\d{4}\/\d{2}\/\d{2})\/\d{2}\/([^/]+\.json)$/.exec(path);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export function isRecordId(text: string): boolean {
  return RECORD_ID_PATTERN.test(text);
}

export interface Trailers {
  'Drift-Target'?: string;
  'Drift-Kind'?: string;
  'Drift-Status'?: string;
  'Drift-Severity'?: string;
  /** One record id, or several (one trailer line each). */
  'Drift-Record'?: string | string[];
  [key: string]: string | string[] | undefined;
}

export function formatCommitMessage(subject: string, trailers: Trailers): string {
  const lines = Object.entries(trailers)
    .flatMap(([key, value]) => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => [key, v] as const)))
    .map(([key, value]) => `${key}: ${String(value).replace(/\s*\n\s*/g, ' ')}`);
  return `${subject.replace(/\s*\n\s*/g, ' ')}\n\n${lines.join('\n')}\n`;
}

/** Which operation names a grouped commit: the first of these kinds among its parts. */
const PRIMARY_KINDS = ['accept', 'report', 'heartbeat', 'snapshot', 'alert', 'outbox'];

/**
 * The message of a commit that groups several operations (ledger/FORMAT.md "Commits"): the
 * primary operation's subject, the other subjects one per line, then one trailer paragraph in
 * which each operation's trailers start with its `Drift-Kind` line (primary first). Plain git
 * still finds every operation with `git log --grep 'Drift-Kind: alert'`.
 */
export function formatGroupMessage(parts: { subject: string; trailers: Trailers }[]): string {
  const rank = (p: { trailers: Trailers }): number => {
    const i = PRIMARY_KINDS.indexOf(String(p.trailers['Drift-Kind']));
    return i < 0 ? PRIMARY_KINDS.length : i;
  };
  const primary = parts.reduce((best, p) => (rank(p) < rank(best) ? p : best), parts[0]);
  const ordered = [primary, ...parts.filter((p) => p !== primary)];
  const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ');
  const lines: string[] = [];
  for (const part of ordered) {
    const { 'Drift-Kind': kind, ...rest } = part.trailers;
    for (const [key, value] of Object.entries({ 'Drift-Kind': kind, ...rest })) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${key}: ${oneLine(String(v))}`);
    }
  }
  const body = ordered.slice(1).map((p) => oneLine(p.subject));
  return `${oneLine(primary.subject)}\n\n${body.join('\n')}\n\n${lines.join('\n')}\n`;
}

/** Trailers of a commit message: `Key: value` lines of its last paragraph (for a repeated key, the first). */
export function parseTrailers(message: string): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const [key, value] of trailerLines(message)) trailers[key] ??= value;
  return trailers;
}

/** Every value of one trailer key, in order. */
export function trailerValues(message: string, key: string): string[] {
  return trailerLines(message).filter(([k]) => k === key).map(([, v]) => v);
}

/** `[key, value]` of every trailer line, in order. */
export function trailerLines(message: string): [string, string][] {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : '';
  const out: [string, string][] = [];
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

export function headPath(target: string): string {
  return `targets/${target}/head.json`;
}

export function alertsPath(target: string): string {
  return `targets/${target}/alerts.json`;
}

/** Undelivered notifications wait here; each is removed by the commit that records its delivery. */
export const OUTBOX_DIR = 'outbox';
export function outboxPath(id: string): string {
  return `${OUTBOX_DIR}/${id}.json`;
}

/** Abandoned notifications: immutable `dead/YYYY/MM/DD/<id>.dead.json`, partitioned by the id's UTC date. */
export const DEAD_DIR = 'dead';
export function deadPath(id: string): string {
  const m = RECORD_ID_PATTERN.exec(id);
  if (!m) throw new Error(`not a record id: ${id}`);
  return `${DEAD_DIR}/${m[1]}/${m[2]}/${m[3]}/${id}.dead.json`;
}

/** `targets/<target>/heartbeat.json`: replaced by a heartbeat commit (ledger/FORMAT.md "Heartbeats"). */
export function heartbeatPath(target: string): string {
  return `targets/${target}/heartbeat.json`;
}

export function chainPath(target: string): string {
  return `targets/${target}/chain.json`;
}

/** `targets/<t>/waivers.json`: the waivers recorded for a target that may still be in force. */
export function waiversPath(target: string): string {
  return `targets/${target}/waivers.json`;
}

/** `targets/<t>/remediations.json`: remediation attempts of the target's current drift (see max_attempts). */
export function remediationsPath(target: string): string {
  return `targets/${target}/remediations.json`;
}

/** What a file on the ledger branch is (the schema it must satisfy), or undefined for unknown files. */
export type LedgerFileKind = 'ledger' | 'outbox' | 'dead' | 'head' | 'alerts' | 'chain' | 'heartbeat' | 'shard' | 'waivers' | 'remediations' | RecordKind;

/** The inverse of the path functions above: which kind of file `path` is (see ledger/FORMAT.md). */
export function ledgerFileKind(path: string): LedgerFileKind | undefined {
  if (path === LEDGER_META_PATH) return 'ledger';
  if (path.startsWith(`${OUTBOX_DIR}/`) && /^[^/]+\.json$/.test(path.slice(OUTBOX_DIR.length + 1))) return 'outbox';
  if (path.startsWith(`${DEAD_DIR}/`) && /^\d{4}\/\d{2}\/\d{2}\/[^/]+\.dead\.json$/.test(path.slice(DEAD_DIR.length + 1))) return 'dead';
  const m = /^targets\/([^/]+)\/(.+)$/.exec(path);
  if (!m) return undefined;
  const [, target, rest] = m;
  if (path === headPath(target)) return 'head';
  if (path === alertsPath(target)) return 'alerts';
  if (path === chainPath(target)) return 'chain';
  if (path === heartbeatPath(target)) return 'heartbeat';
  if (path === waiversPath(target)) return 'waivers';
  if (path === remediationsPath(target)) return 'remediations';
  if (/^(latest|baseline)\/(.+\/)?@([0-9a-f]{2})?\.json$/.test(rest)) return 'shard';
  const record = /^records\/\d{4}\/\d{2}\/\d{2}\/(?:\d{2}\/)?[^/]+\.(snapshot|report|accept|alert|waiver|remediation|restore)\.json$/.exec(rest);
  return record ? (record[1] as RecordKind) : undefined;
}
