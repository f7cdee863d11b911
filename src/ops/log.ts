import { Ledger } from '../ledger/ledger.js';
import type { ConfigOption, OpDeps } from './deps.js';
import { openWorkspace } from './workspace.js';

export interface LogOptions extends ConfigOption {
  target?: string;
  kind?: string;
  limit?: number;
}

export interface LogEntry {
  commit: string;
  time: string;
  kind: string;
  target: string | null;
  status: string | null;
  severity: string | null;
  record: string | null;
  subject: string;
  author: string;
}

/** Ledger history, newest first, one entry per commit, read from commit trailers. */
export async function log(deps: OpDeps, options: LogOptions): Promise<{ branch: string; entries: LogEntry[] }> {
  const ws = openWorkspace(deps, options);
  const tip = await ws.ledger.requireTip();
  const limit = options.limit ?? 50;
  const filtered = Boolean(options.target || options.kind);
  const entries: LogEntry[] = [];
  for (const commit of await ws.store.log(tip, filtered ? undefined : limit)) {
    const { subject, trailers } = Ledger.describe(commit.message);
    const entry: LogEntry = {
      commit: commit.oid,
      time: new Date(commit.committer.timestamp * 1000).toISOString(),
      kind: trailers['Drift-Kind'] ?? 'other',
      target: trailers['Drift-Target'] ?? null,
      status: trailers['Drift-Status'] ?? null,
      severity: trailers['Drift-Severity'] ?? null,
      record: trailers['Drift-Record'] ?? null,
      subject,
      author: `${commit.author.name} <${commit.author.email}>`,
    };
    if (options.target && entry.target !== options.target) continue;
    if (options.kind && entry.kind !== options.kind) continue;
    entries.push(entry);
    if (entries.length >= limit) break;
  }
  return { branch: ws.config.ledger.branch, entries };
}
