import type { Config, TargetConfig } from '../config/config.js';
import type { Change, DriftReport } from '../drift/report.js';
import { chainPath } from '../ledger/layout.js';
import type { ChainState, Ledger, LedgerWriter } from '../ledger/ledger.js';
import type { AlertReason } from '../ledger/records.js';
import type { RemediationRecord } from '../ledger/loop-records.js';
import type { ActiveWaiver } from '../drift/waivers.js';

/**
 * What `check` lets remediate (and later steps of the loop) do with each report before its alerts
 * are evaluated: stage records on the same writer, and say why alerts resolve or that
 * remediation failed.
 */
export type ReportHook = (input: { target: TargetConfig; report: DriftReport; drift: Change[]; writer: LedgerWriter; time: Date }) => Promise<{ reason?: AlertReason; remediationFailed?: boolean } | undefined>;

/** The `waivers:` of driftctl.yml that apply to `target`, as waivers with id `config:<index>`. */
export function configWaivers(config: Pick<Config, 'waivers' | 'file'>, target: string): ActiveWaiver[] {
  return (config.waivers ?? [])
    .filter((w) => w.target === undefined || w.target === target)
    .map((w) => ({ id: `config:${w.index}`, by: config.file, reason: w.reason, until: w.until, keys: w.keys, anyContent: true, covers: [] }));
}

/** The kind of the last record in `target`'s hash chain at `commit` (restore, accept, report, ...). */
export async function lastRecordKind(ledger: Ledger, commit: string | undefined, target: string): Promise<string | undefined> {
  if (!commit) return undefined;
  const chain = await ledger.readJson<ChainState>(commit, chainPath(target));
  return chain ? /\.([a-z]+)\.json$/.exec(chain.last.path)?.[1] : undefined;
}

/** What remediation did (or would do) for one target. */
export interface RemediationOutcome {
  target: string;
  /** Where the command was declared: `target`, or `source:<name>` (it then ran for that source's drift only). */
  from: string;
  status: 'fixed' | 'partly-fixed' | 'failed' | 'planned' | 'clean' | 'skipped';
  /** Why nothing ran (clean, skipped), or the policy that ran it. */
  reason: string | null;
  /** The command line spawned (with a remote prefix, the whole prefixed line). */
  argv: string[];
  keys: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Drifted changes before and after. */
  before: number;
  remaining: number;
  record: RemediationRecord | null;
}

