/** The validated, defaulted configuration that every operation works from. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CHANGE_KINDS = ['added', 'removed', 'changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface FilesSourceConfig {
  name: string;
  kind: 'files';
  /** Absolute directory that entry keys are relative to. */
  root: string;
  watch: string[];
  ignore: string[];
  /** Lines of the `.driftignore` beside the config file (gitignore syntax), applied after `ignore`. */
  driftignore: string[];
}

export type SourceConfig = FilesSourceConfig;

export interface TargetConfig {
  name: string;
  enabled: boolean;
  labels: Record<string, string>;
  sources: SourceConfig[];
}

export interface SeverityRule {
  /** What reports name as the deciding rule: the rule's `name`, else its globs joined by ", ". */
  id: string;
  match: string[];
  change?: ChangeKind[];
  source?: string;
  target?: string;
  severity: Severity;
}

export interface SeverityConfig {
  default: Severity;
  rules: SeverityRule[];
}

export interface LedgerConfig {
  branch: string;
  /** Absolute path of the repository that holds the ledger, when it is not the watched one. */
  path?: string;
}

export interface Config {
  /** Absolute path of the config file; undefined for the built-in defaults. */
  file: string;
  /** Directory relative paths in the config are resolved against. */
  dir: string;
  version: 1;
  ledger: LedgerConfig;
  targets: TargetConfig[];
  severity: SeverityConfig;
}

export const DEFAULT_BRANCH = 'drift-ledger';
export const DEFAULT_TARGET = 'default';
export const CONFIG_FILE_NAME = 'driftctl.yml';
export const DRIFTIGNORE_FILE_NAME = '.driftignore';

/** Rank for comparisons: 0 is the most severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function mostSevere(a: Severity | undefined, b: Severity): Severity {
  if (a === undefined) return b;
  return severityRank(a) <= severityRank(b) ? a : b;
}
