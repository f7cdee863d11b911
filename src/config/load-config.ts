import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkFieldPattern, fieldSeparator } from '../drift/fields.js';
import { checkGlob } from '../match/glob.js';
import { validateAgainst } from '../schemas.js';
import { expandTargets, type RawInventoryRef, type RawPack, type RawTarget } from './fleet-config.js';
import { normalizePolicies, type RawPolicy, type RawSchedule } from './schedule-policy-config.js';
import type { RawSource } from './source-config.js';
import {
  CONFIG_FILE_NAME,
  DEFAULT_BRANCH,
  DEFAULT_GIT_TOKEN_ENV,
  DEFAULT_GITHUB_API_URL,
  DEFAULT_GITHUB_TOKEN_ENV,
  githubRepoFromRemote,
  type GithubConfig,
  DEFAULT_TARGET,
  DRIFTIGNORE_FILE_NAME,
  parseDuration,
  type AlertEventName,
  type AlertsConfig,
  type ChangeKind,
  type ChannelConfig,
  type ChannelKind,
  type Config,
  type Severity,
  type SeverityRule,
  type TargetConfig,
} from './config.js';

/** The config file as written by the user, after schema validation. */
interface RawConfig extends RawSchedule {
  version: 1;
  policies?: RawPolicy[];
  ledger?: { branch?: string; path?: string; remote?: string; token_env?: string; username_env?: string };
  github?: { api_url?: string; owner?: string; repo?: string; token_env?: string };
  sources?: RawSource[];
  targets?: RawTarget[];
  packs?: RawPack[];
  inventory?: RawInventoryRef;
  severity?: {
    default?: Severity;
    rules?: { name?: string; match?: string | string[]; change?: ChangeKind | ChangeKind[]; source?: string; target?: string; type?: string | string[]; severity: Severity; alert?: string }[];
  };
  alerts?: {
    templates?: string;
    repeat_interval?: string;
    report_url?: string;
    channels?: RawChannel[];
    digest?: { since?: string; channels?: string[] };
  };
}
interface RawChannel {
  name?: string;
  kind: ChannelKind;
  min_severity?: Severity;
  targets?: string[];
  labels?: Record<string, string>;
  events?: AlertEventName[];
  path?: string;
  text_path?: string;
  webhook_env?: string;
  url_env?: string;
  secret_env?: string;
  timeout?: string;
  retries?: number;
}

/** Where the config is: `--config PATH` if given, else `driftctl.yml` in `cwd`. */
export function resolveConfigPath(cwd: string, explicit?: string): string {
  return path.resolve(cwd, explicit ?? CONFIG_FILE_NAME);
}

/**
 * Reads, parses and validates a config file. Every problem (YAML syntax, schema, globs, duplicate
 * names, semantic conflicts) is collected and thrown together as one ConfigError whose issues name
 * the file, the line where known, the field path and what is expected.
 */
/** `cwd` only shapes how the file is named in messages (relative to where the user is). */
export function loadConfig(file: string, cwd?: string): Config {
  if (!existsSync(file)) {
    throw new ConfigError([{ file, path: '', message: `not found (run "driftctl init" to write a starter config, or pass --config PATH)` }]);
  }
  const text = readFileSync(file, 'utf8');
  return parseConfig(text, file, cwd);
}

export function parseConfig(text: string, file: string, cwd?: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const relative = cwd ? path.relative(cwd, file) : '';
  const display = relative && !relative.startsWith('..') ? relative : file;
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0];
        return { file: pos ? `${display}:${pos.line}` : display, path: '', message: `YAML syntax: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` };
      }),
    );
  }
  const raw = doc.toJS() as unknown;
  const located = (segments: (string | number)[]): string => {
    let node: unknown = doc.getIn(segments, true);
    // For a missing field, point at its parent.
    for (let cut = segments.length - 1; (!isNode(node) || !node.range) && cut >= 0; cut--) node = doc.getIn(segments.slice(0, cut), true);
    if (isNode(node) && node.range) return `${display}:${lineCounter.linePos(node.range[0]).line}`;
    return display;
  };
  if (raw === null || raw === undefined) {
    throw new ConfigError([{ file: display, path: '', message: 'is empty (it needs at least "version: 1" and sources)' }]);
  }
  const schemaIssues = validateAgainst('config', raw);
  if (schemaIssues.length > 0) {
    throw new ConfigError(schemaIssues.map((issue) => ({ file: located(issue.segments), path: issue.path, message: issue.message })));
  }
  const issues: ConfigIssue[] = [];
  const config = normalize(raw as RawConfig, path.resolve(file), issues, located);
  // A pack's problem shows once, however many hosts run it.
  if (issues.length > 0) throw new ConfigError([...new Map(issues.map((i) => [`${i.file}\u0000${i.path}\u0000${i.message}`, i])).values()]);
  return config;
}

function normalize(raw: RawConfig, file: string, issues: ConfigIssue[], located: (segments: (string | number)[]) => string): Config {
  const dir = path.dirname(file);
  const driftignorePath = path.join(dir, DRIFTIGNORE_FILE_NAME);
  const driftignore = existsSync(driftignorePath) ? parseIgnoreFile(readFileSync(driftignorePath, 'utf8')) : [];
  const issue = (segments: (string | number)[], message: string): void => {
    issues.push({ file: located(segments), path: formatSegments(segments), message });
  };

  if (raw.sources && raw.targets) {
    issue(['targets'], 'cannot be combined with top-level "sources" (move those sources into a target)');
  }
  if (!raw.sources && !raw.targets && !raw.inventory) {
    issue(['sources'], 'is required (list what to watch, or define "targets" or an "inventory" with "packs")');
  }

  const targets: TargetConfig[] = expandTargets({
    dir,
    driftignore,
    targets: raw.targets ?? (raw.sources ? [{ name: DEFAULT_TARGET, sources: raw.sources, schedule: raw.schedule, timezone: raw.timezone }] : undefined),
    packs: raw.packs,
    inventory: raw.inventory,
    topLevel: !raw.targets && raw.sources !== undefined,
    issue,
    fileIssue: (problem) => issues.push(problem),
  });
  if (raw.targets && (raw.schedule !== undefined || raw.timezone !== undefined)) {
    issue([raw.schedule !== undefined ? 'schedule' : 'timezone'], 'belongs to the default target: with "targets", set targets[].schedule and targets[].timezone');
  }

  const rules: SeverityRule[] = (raw.severity?.rules ?? []).map((rule, index) => {
    // A rule with only `type` applies to every entry of those resource types.
    if (rule.match === undefined && rule.type === undefined) issue(['severity', 'rules', index], 'needs match (key globs, or KEY#FIELD) or type (Terraform resource types / Kubernetes kinds), or both');
    const match = rule.match === undefined ? ['**'] : Array.isArray(rule.match) ? rule.match : [rule.match];
    match.forEach((glob, i) => {
      const hash = fieldSeparator(glob);
      const problem = hash < 0 ? checkGlob(glob) : (hash > 0 ? checkGlob(glob.slice(0, hash)) : undefined) ?? fieldProblem(glob.slice(hash + 1));
      if (problem) issue(['severity', 'rules', index, 'match', ...(Array.isArray(rule.match) ? [i] : [])], problem);
    });
    const change = rule.change === undefined ? undefined : Array.isArray(rule.change) ? rule.change : [rule.change];
    return {
      id: rule.name ?? (rule.match === undefined ? `type ${[rule.type ?? []].flat().join(', ')}` : match.join(', ')),
      match,
      ...(change ? { change } : {}),
      ...(rule.source ? { source: rule.source } : {}),
      ...(rule.type !== undefined ? { type: Array.isArray(rule.type) ? [...rule.type] : [rule.type] } : {}),
      ...(rule.target ? { target: rule.target } : {}),
      severity: rule.severity,
      ...(rule.alert ? { alert: rule.alert } : {}),
    };
  });

  const channelNames = new Set<string>();
  const channels: ChannelConfig[] = (raw.alerts?.channels ?? []).map((channel, index) => {
    const name = channel.name ?? channel.kind;
    if (channelNames.has(name)) issue(['alerts', 'channels', index, 'name'], `duplicate channel name "${name}" (give each channel a unique name)`);
    channelNames.add(name);
    for (const t of channel.targets ?? []) {
      if (!targets.some((target) => target.name === t)) issue(['alerts', 'channels', index, 'targets'], `unknown target "${t}" (known: ${targets.map((x) => x.name).join(', ')})`);
    }
    return {
      name,
      kind: channel.kind,
      minSeverity: channel.min_severity ?? 'info',
      ...(channel.targets ? { targets: channel.targets } : {}),
      ...(channel.labels ? { labels: channel.labels } : {}),
      events: channel.events ?? ['opened', 'updated', 'reminded', 'resolved'],
      ...(channel.path ? { path: path.resolve(dir, channel.path) } : {}),
      ...(channel.text_path ? { textPath: path.resolve(dir, channel.text_path) } : {}),
      ...(channel.webhook_env ?? channel.url_env ? { urlEnv: channel.webhook_env ?? channel.url_env } : {}),
      ...(channel.secret_env ? { secretEnv: channel.secret_env } : {}),
      timeoutMs: channel.timeout ? parseDuration(channel.timeout) : 10_000,
      retries: channel.retries ?? 3,
    };
  });
  for (const [i, name] of (raw.alerts?.digest?.channels ?? []).entries()) {
    if (!channelNames.has(name)) issue(['alerts', 'digest', 'channels', i], `unknown channel "${name}" (known: ${[...channelNames].join(', ') || 'none configured'})`);
  }
  const alerts: AlertsConfig = {
    ...(raw.alerts?.templates ? { templates: path.resolve(dir, raw.alerts.templates) } : {}),
    repeatIntervalMs: raw.alerts?.repeat_interval ? parseDuration(raw.alerts.repeat_interval) : null,
    ...(raw.alerts?.report_url ? { reportUrl: raw.alerts.report_url } : {}),
    channels,
    digest: { sinceMs: raw.alerts?.digest?.since ? parseDuration(raw.alerts.digest.since) : 86_400_000, ...(raw.alerts?.digest?.channels ? { channels: raw.alerts.digest.channels } : {}) },
  };

  if (raw.ledger?.remote) {
    const problem = checkRemoteUrl(raw.ledger.remote);
    if (problem) issue(['ledger', 'remote'], problem);
  }

  let github: GithubConfig | undefined;
  if (raw.github) {
    const derived = githubRepoFromRemote(raw.ledger?.remote);
    const owner = raw.github.owner ?? derived?.owner;
    const repo = raw.github.repo ?? derived?.repo;
    if (!owner || !repo) issue(['github'], 'needs owner and repo, or a ledger.remote of the form https://HOST/OWNER/REPO(.git) to derive them from');
    github = { apiUrl: (raw.github.api_url ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''), owner: owner ?? '', repo: repo ?? '', tokenEnv: raw.github.token_env ?? DEFAULT_GITHUB_TOKEN_ENV };
  }

  return {
    file,
    dir,
    version: 1,
    ledger: {
      branch: raw.ledger?.branch ?? DEFAULT_BRANCH,
      ...(raw.ledger?.path ? { path: path.resolve(dir, raw.ledger.path) } : {}),
      ...(raw.ledger?.remote ? { remote: raw.ledger.remote } : {}),
      tokenEnv: raw.ledger?.token_env ?? DEFAULT_GIT_TOKEN_ENV,
      ...(raw.ledger?.username_env ? { usernameEnv: raw.ledger.username_env } : {}),
    },
    targets,
    severity: { default: raw.severity?.default ?? 'low', rules },
    alerts,
    policies: normalizePolicies(raw.policies, targets, issue),
    ...(github ? { github } : {}),
  };
}

/**
 * A ledger remote must be an HTTP(S) git URL (isomorphic-git speaks smart HTTP only) without
 * credentials: the token comes from the environment (ledger.token_env). The message never repeats
 * the URL, so a pasted secret is not echoed to logs.
 */
export function checkRemoteUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an http:// or https:// git URL, for example https://github.com/acme/drift-ledger.git';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return `must be an http:// or https:// git URL (${parsed.protocol.replace(/:$/, '')} remotes are not supported)`;
  }
  if (parsed.username || parsed.password) {
    return 'must not contain credentials: remove the user:token@ part and put the token in the environment variable named by ledger.token_env (default DRIFTCTL_GIT_TOKEN)';
  }
  return undefined;
}

/** gitignore-style lines: blank lines and `#` comments dropped, everything else kept in order. */
export function parseIgnoreFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function formatSegments(segments: (string | number)[]): string {
  let out = '';
  for (const segment of segments) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

function fieldProblem(pattern: string): string | undefined {
  const problem = checkFieldPattern(pattern);
  return problem ? `has a field part after "#" that ${problem.replace(/^a field pattern /, '')} (write KEY#/json/pointer or KEY#dotted.path)` : undefined;
}
