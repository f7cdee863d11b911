import type { CaptureConfig } from '../capture/capture.js';
import type { Severity, SeverityConfig } from '../drift/severity-levels.js';

/**
 * Fields to leave out of structured content before it is hashed and compared (`ignore_fields`):
 * JSON Pointers or dotted paths with wildcards (see match/field-pattern.ts), for every key of the source
 * (`keys` undefined) or only for keys matching the globs.
 */
export interface IgnoreFieldsRule {
  keys?: string[];
  fields: string[];
}

/** What every source kind shares. */
interface SourceCommon {
  name: string;
  ignoreFields: IgnoreFieldsRule[];
  /** How to bring this source's entries back to the baseline (`remediate:`); runs for its drift only. */
  remediate?: RemediateConfig;
}

/** How a command or HTTP body becomes keyed entries (see sources/keyed-records.ts). */
export type OutputFormat = 'json' | 'jsonl' | 'lines' | 'text';

export interface RecordSelection {
  parse: OutputFormat;
  /** json: JSON Pointer or dotted path of the array (or object of records) inside the document; default: the document itself. */
  items?: string;
  /** Field path (`ID`, `metadata.name`) or template (`{Repository}:{Tag}`) giving each record's key; lines: a regex with a named group `key`. */
  key?: string;
  /** Field path of the content to keep (default: the whole record); lines: the regex group `value`. */
  value?: string;
  /** json/jsonl: field path (in the whole record, before ignore_fields) naming who changed it (`attribution_field`), stored as the entry's `by`. */
  byField?: string;
}

/** How a process is run: argv (or a shell line when `shell`), cwd, timeout, environment allow-list, remote prefix. */
export interface ProcessSpec {
  /** The program and its arguments; with `shell: true`, argv[0] is a shell command line run by /bin/sh -c. */
  argv: string[];
  shell: boolean;
  /** Absolute working directory. */
  cwd: string;
  timeoutMs: number;
  /** Names of environment variables passed through (PATH, HOME, LANG and LC_ALL always are). */
  env: string[];
  /** Prefix that runs the argv elsewhere, for example ["ssh", "web1", "--"] (empty: local). */
  exec: string[];
}

export interface FilesSourceConfig extends SourceCommon {
  kind: 'files';
  /** Absolute directory that entry keys are relative to. */
  root: string;
  watch: string[];
  ignore: string[];
  /** Lines of the `.driftignore` beside the config file (gitignore syntax), applied after `ignore`. */
  driftignore: string[];
  /** Globs of files parsed as JSON or YAML (by extension: .json is JSON, anything else YAML) and compared field by field. */
  structured: string[];
  /** Globs of directories each hashed as one `dir` entry (a Merkle hash over relative paths and contents). */
  groups: string[];
  /** Content kept in the ledger (`capture`, `capture_max_bytes`, `redact`); absent: capture off. */
  capture?: CaptureConfig;
}

export interface CommandSourceConfig extends SourceCommon, RecordSelection {
  kind: 'command';
  process: ProcessSpec;
  /** `attribution_command`: run when the source has changes; prints who made them (see attribution/attribute-changes.ts). */
  attribution?: ProcessSpec;
}

export interface HttpSourceConfig extends SourceCommon, RecordSelection {
  kind: 'http';
  url: string;
  /** Header values written in the config (not secret). */
  headers: Record<string, string>;
  /** Header name → name of the environment variable holding its value (secrets: never stored or shown). */
  headersEnv: Record<string, string>;
  timeoutMs: number;
  /** Absolute path of a PEM CA bundle to trust in addition to the system's. */
  ca?: string;
  /** `attribution_command`: run when the source has changes; prints who made them. */
  attribution?: ProcessSpec;
}

export interface TerraformSourceConfig extends SourceCommon {
  kind: 'terraform';
  /** Absolute path of a file holding `terraform show -json` output of a (refresh-only) plan. */
  plan?: string;
  /** Or run Terraform: `terraform plan -refresh-only -out=<tmp>` then `terraform show -json <tmp>` in process.cwd. */
  process?: ProcessSpec;
  /** Absolute path of `terraform providers schema -json` output (with process and no schema, it is run). */
  schema?: string;
}

export interface KubernetesSourceConfig extends SourceCommon {
  kind: 'kubernetes';
  /** Live objects: a file of `kubectl get -o json` output (a List or one object) ... */
  file?: string;
  /** ... or a command printing it (default argv: kubectl get all -A -o json). */
  process?: ProcessSpec;
  /** Optional desired state (rendered manifests, e.g. `helm template` output, YAML or JSON, multi-document): then entries are desired-vs-live differences. */
  desired?: {
    file?: string;
    process?: ProcessSpec;
    /** Namespace of desired objects that name none (helm template leaves it out; default "default"). */
    namespace?: string;
    /** Keep Helm/Argo CD hook objects among the desired ones (default false: they are not live objects). */
    includeHooks?: boolean;
    /** Report live objects that have no manifest (default true). */
    extra?: boolean;
    /** Kinds (globs) whose live objects without a manifest are not reported. */
    extraIgnoreKinds?: string[];
    /** Only this manager's managedFields entries (operation Apply) say which fields an apply set. */
    fieldManager?: string;
  };
}

export const METRIC_NAMES = ['cpu_percent', 'memory_percent', 'disk_percent', 'load1', 'load5', 'load15'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricThreshold {
  /** The rule as written, for example "cpu_percent > 80 for 5m". */
  text: string;
  metric: MetricName;
  op: '>' | '>=' | '<' | '<=';
  value: number;
  /** How long the condition must hold before it is a breach (0: at once). */
  forMs: number;
  severity: Severity;
}

export interface MetricsSourceConfig extends SourceCommon {
  kind: 'metrics';
  thresholds: MetricThreshold[];
  /** Absolute path whose file system disk_percent measures (default /). */
  disk: string;
  /** Absolute path of a JSON file of readings ({"cpu_percent": 93.5, ...}) used instead of the OS (another agent's output, replay, tests). */
  readings?: string;
}

export type SourceConfig = FilesSourceConfig | CommandSourceConfig | HttpSourceConfig | TerraformSourceConfig | KubernetesSourceConfig | MetricsSourceConfig;

/** Kinds whose entries are observed, never baselined: every entry present is drift (metrics breaches). */
export const OBSERVED_ONLY_KINDS: ReadonlySet<string> = new Set(['metrics']);

export interface TargetConfig {
  name: string;
  enabled: boolean;
  labels: Record<string, string>;
  sources: SourceConfig[];
  /** Cron expression (5 or 6 fields) on which `driftctl daemon` checks this target. */
  schedule?: string;
  /** IANA time zone of `schedule` (default: the daemon's). */
  timezone?: string;
  /** How to bring the target back to its baseline (`remediate:`). */
  remediate?: RemediateConfig;
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
  /** Absent in a policy that only remediates. */
  autoAccept?: { maxSeverity: Severity };
  /** Run the target's `remediate:` after a check that found drift this policy allows. */
  remediate?: { maxSeverity: Severity; labels?: Record<string, string>; maxAttempts: number };
  includeProduction: boolean;
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
  /** How long one git HTTP request to `remote` may wait (connect, headers, each body chunk). */
  timeoutMs: number;
  /** At most one heartbeat per target per this interval while checks find nothing new (`ledger.heartbeat`). */
  heartbeatMs: number;
  /**
   * `ledger.layout` as written (absent: not said, so the layout found in the repository is used,
   * and `branch` for a new ledger). `per-target`: one branch per target (src/ledger/ledger-set.ts).
   */
  layout?: 'branch' | 'per-target';
}

export const DEFAULT_GIT_TIMEOUT_MS = 60_000;
export const DEFAULT_HEARTBEAT_MS = 3_600_000;

export type ChannelKind = 'console' | 'file' | 'slack' | 'webhook' | 'email' | 'sms' | 'pagerduty';
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
  email?: EmailSettings;
  sms?: SmsSettings;
  pagerduty?: PagerDutySettings;
  timeoutMs: number;
  retries: number;
}

/** How an `email` channel reaches its SMTP server; credentials are named, never held. */
export type SmtpTls = 'starttls' | 'implicit' | 'none';

export interface EmailSettings {
  host: string;
  port: number;
  /** starttls: plain connect, then STARTTLS is required; implicit: TLS from the first byte (port 465); none: never TLS (local relays). */
  tls: SmtpTls;
  /** Environment variables holding the SMTP user and password (both or neither). */
  userEnv?: string;
  passwordEnv?: string;
  /** Absolute path of a PEM CA bundle to trust in addition to the system's. */
  ca?: string;
  from: string;
  to: string[];
  cc: string[];
}

/** A Twilio-compatible Messages API: POST {apiUrl}/2010-04-01/Accounts/{sid}/Messages.json. */
export interface SmsSettings {
  apiUrl: string;
  accountSidEnv: string;
  authTokenEnv: string;
  from: string;
  to: string[];
  maxSegments: number;
}

/** PagerDuty Events API v2. */
export interface PagerDutySettings {
  apiUrl: string;
  routingKeyEnv: string;
}

export const DEFAULT_TWILIO_API_URL = 'https://api.twilio.com';
export const DEFAULT_PAGERDUTY_API_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface AlertsConfig {
  /** Absolute folder of user templates overriding built-ins. */
  templates?: string;
  repeatIntervalMs: number | null;
  reportUrl?: string;
  channels: ChannelConfig[];
  digest: { sinceMs: number; channels?: string[] };
  /** Retry budget of the outbox: an entry is abandoned after this many failed deliveries, or once this old. */
  outbox: { maxAttempts: number; maxAgeMs: number };
}

export const DEFAULT_OUTBOX_MAX_ATTEMPTS = 10;
export const DEFAULT_OUTBOX_MAX_AGE_MS = 7 * 86_400_000;

/** Pull requests for accepts (`github:`); owner and repo are resolved at load (explicit or from ledger.remote). */
export interface GithubConfig {
  apiUrl: string;
  owner: string;
  repo: string;
  /** Name of the environment variable holding the token (never the token). */
  tokenEnv: string;
}

/** The validated, defaulted configuration that every operation works from. */
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
  /** `waivers:` (README "Waivers"): drift excused by key until a date, whatever its content. */
  waivers?: ConfigWaiver[];
}

/** One entry of `waivers:` in driftctl.yml. */
export interface ConfigWaiver {
  /** Position in the list (the waiver's id is `config:<index>`). */
  index: number;
  /** Only this target (undefined: every target). */
  target?: string;
  keys: string[];
  /** ISO 8601 expiry. */
  until: string;
  reason: string;
}

/** `remediate:` as written: an argv list, or an object with argv or a shell command line. */
export type RawRemediate = string[] | { argv?: string[]; command?: string; shell?: boolean; cwd?: string; timeout?: string; env?: string[]; exec?: string[] };

/**
 * `remediate:` of a target or source: the command that brings it back to its baseline (README
 * "Remediation"). Run with DRIFT_REPORT (a JSON file) and DRIFT_KEYS in its environment.
 */
export interface RemediateConfig {
  argv: string[];
  shell: boolean;
  cwd: string;
  timeoutMs: number;
  /** Names of the environment variables passed through (besides PATH, HOME, LANG and the DRIFT_ ones). */
  env: string[];
  /** Prefix running the command elsewhere, e.g. [ssh, web1, --]. */
  exec: string[];
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

/** Parses durations like 500ms, 30s, 15m, 24h, 7d, 2w into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (use for example 30s, 15m, 24h, 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
