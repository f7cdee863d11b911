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
  /** Cron expression (5 or 6 fields) on which `driftctl daemon` checks this target. */
  schedule?: string;
  /** IANA time zone of `schedule` (default: the daemon's). */
  timezone?: string;
}

/**
 * Auto-accept: after a check, a target's drift becomes its baseline when a policy matches the
 * target and every change is at or below `maxSeverity`. Production targets are excluded unless
 * `includeProduction` (see isProductionTarget).
 */
export interface PolicyConfig {
  name: string;
  /** Only these targets (undefined: any). */
  targets?: string[];
  /** Only targets carrying all these labels (undefined: any). */
  labels?: Record<string, string>;
  autoAccept: { maxSeverity: Severity };
  includeProduction: boolean;
}

export interface SeverityRule {
  /** What reports name as the deciding rule: the rule's `name`, else its globs joined by ", ". */
  id: string;
  match: string[];
  change?: ChangeKind[];
  source?: string;
  target?: string;
  severity: Severity;
  /** Drift class for alert grouping; absent means the default class "drift". */
  alert?: string;
}

export interface SeverityConfig {
  default: Severity;
  rules: SeverityRule[];
}

export interface LedgerConfig {
  branch: string;
  /** Absolute path of the repository that holds the ledger, when it is not the watched one. */
  path?: string;
  /** URL of the git remote the ledger branch is synchronised with (may carry credentials: never printed). */
  remote?: string;
  /** Name of the environment variable holding the token for `remote`. */
  tokenEnv: string;
  /** Name of the environment variable holding the user name sent with the token (default x-access-token). */
  usernameEnv?: string;
}

export type ChannelKind = 'console' | 'file' | 'slack' | 'webhook';
export type AlertEventName = 'opened' | 'updated' | 'reminded' | 'resolved';

export interface ChannelConfig {
  name: string;
  kind: ChannelKind;
  minSeverity: Severity;
  /** Only these targets (undefined: all). */
  targets?: string[];
  /** Only targets carrying all these labels. */
  labels?: Record<string, string>;
  events: AlertEventName[];
  /** file: absolute path of the JSON-lines log, and of the optional text log. */
  path?: string;
  textPath?: string;
  /** slack: env var with the webhook URL; webhook: env var with the URL and the signing secret. */
  urlEnv?: string;
  secretEnv?: string;
  timeoutMs: number;
  retries: number;
}

export interface AlertsConfig {
  /** Absolute folder of user templates overriding built-ins. */
  templates?: string;
  repeatIntervalMs: number | null;
  reportUrl?: string;
  channels: ChannelConfig[];
  digest: { sinceMs: number; channels?: string[] };
}

/** Pull requests for accepts (`github:`); owner and repo are resolved at load (explicit or from ledger.remote). */
export interface GithubConfig {
  apiUrl: string;
  owner: string;
  repo: string;
  /** Name of the environment variable holding the token (never the token). */
  tokenEnv: string;
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
  alerts: AlertsConfig;
  /** Auto-accept policies (README "Policies"); empty: nothing is ever auto-accepted. */
  policies: PolicyConfig[];
  /** Present when `github:` is configured: accepts then go through pull requests by default. */
  github?: GithubConfig;
}

export const DEFAULT_BRANCH = 'drift-ledger';
export const DEFAULT_TARGET = 'default';
export const DEFAULT_GIT_TOKEN_ENV = 'DRIFTCTL_GIT_TOKEN';
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const DEFAULT_GITHUB_TOKEN_ENV = 'GITHUB_TOKEN';

/** Owner and repository of a GitHub-like remote URL `https://HOST/OWNER/REPO(.git)`, else undefined. */
export function githubRepoFromRemote(url: string | undefined): { owner: string; repo: string } | undefined {
  if (!url) return undefined;
  try {
    const parts = new URL(url).pathname.split('/').filter(Boolean);
    if (parts.length !== 2) return undefined;
    const repo = parts[1].replace(/\.git$/, '');
    return parts[0] && repo ? { owner: decodeURIComponent(parts[0]), repo: decodeURIComponent(repo) } : undefined;
  } catch {
    return undefined;
  }
}
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

/** Parses durations like 500ms, 30s, 15m, 24h, 7d, 2w into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (use for example 30s, 15m, 24h, 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
