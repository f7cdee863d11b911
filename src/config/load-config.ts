import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkFieldPattern, fieldSeparator } from '../match/field-pattern.js';
import { checkGlob } from '../match/glob.js';
import { parseLocatedYaml } from '../yaml/yaml.js';
import { validateAgainst } from '../schemas.js';
import { expandTargets, type RawInventoryRef, type RawPack, type RawTarget } from './fleet-config.js';
import { normalizePolicies, type RawPolicy, type RawSchedule } from './schedule-policy-config.js';
import type { RawSource } from './source-config.js';
import { normalizeWaivers, type RawRemediate, type RawWaiver } from './remediate-config.js';
import { type ChangeKind, type Severity, type SeverityRule } from '../drift/severity-levels.js';
import { CONFIG_FILE_NAME, DEFAULT_BRANCH, DEFAULT_GIT_TIMEOUT_MS, DEFAULT_HEARTBEAT_MS, DEFAULT_OUTBOX_MAX_AGE_MS, DEFAULT_OUTBOX_MAX_ATTEMPTS, DEFAULT_GIT_TOKEN_ENV, DEFAULT_GITHUB_API_URL, DEFAULT_GITHUB_TOKEN_ENV, DEFAULT_PAGERDUTY_API_URL, DEFAULT_TWILIO_API_URL, githubRepoFromRemote, type GithubConfig, DEFAULT_TARGET, DRIFTIGNORE_FILE_NAME, parseDuration, type AlertEventName, type AlertsConfig, type ChannelConfig, type ChannelKind, type Config, type SmtpTls, type TargetConfig } from './config.js';

/** The config file as written by the user, after schema validation. */
interface RawConfig extends RawSchedule {
  version: 1;
  remediate?: RawRemediate;
  waivers?: RawWaiver[];
  policies?: RawPolicy[];
  ledger?: { branch?: string; path?: string; remote?: string; token_env?: string; username_env?: string; timeout?: string; heartbeat?: string; layout?: 'branch' | 'per-target' };
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
    outbox?: { max_attempts?: number; max_age?: string };
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
  host?: string;
  port?: number;
  tls?: SmtpTls;
  user_env?: string;
  password_env?: string;
  ca?: string;
  from?: string;
  to?: string | string[];
  cc?: string | string[];
  api_url?: string;
  account_sid_env?: string;
  auth_token_env?: string;
  max_segments?: number;
  routing_key_env?: string;
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'is a directory, not a config file (pass --config PATH/driftctl.yml)' : `cannot be read (${code ?? (error as Error).message})`;
    throw new ConfigError([{ file, path: '', message: why }]);
  }
  return parseConfig(text, file, cwd);
}

export function parseConfig(text: string, file: string, cwd?: string): Config {
  const doc = parseLocatedYaml(text);
  const relative = cwd ? path.relative(cwd, file) : '';
  const display = relative && !relative.startsWith('..') ? relative : file;
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        return { file: error.line ? `${display}:${error.line}` : display, path: '', message: `YAML syntax: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}` };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.value();
  } catch (error) {
    // The yaml library refuses documents whose aliases expand beyond its limit (an alias bomb).
    throw new ConfigError([{ file: display, path: '', message: `YAML: ${(error as Error).message.split('\n')[0]}` }]);
  }
  const located = (segments: (string | number)[]): string => {
    // For a missing field, this is the line of its parent.
    const line = doc.lineOf(segments);
    return line ? `${display}:${line}` : display;
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
    targets: raw.targets ?? (raw.sources ? [{ name: DEFAULT_TARGET, sources: raw.sources, schedule: raw.schedule, timezone: raw.timezone, remediate: raw.remediate }] : undefined),
    packs: raw.packs,
    inventory: raw.inventory,
    topLevel: !raw.targets && raw.sources !== undefined,
    issue,
    fileIssue: (problem) => issues.push(problem),
  });
  if (raw.targets && raw.remediate !== undefined) issue(['remediate'], 'belongs to the default target: with "targets", set targets[].remediate');
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
      minSeverity: channel.min_severity ?? (channel.kind === 'sms' ? 'high' : 'info'),
      ...(channel.targets ? { targets: channel.targets } : {}),
      ...(channel.labels ? { labels: channel.labels } : {}),
      events: channel.events ?? ['opened', 'updated', 'reminded', 'resolved'],
      ...(channel.path ? { path: path.resolve(dir, channel.path) } : {}),
      ...(channel.text_path ? { textPath: path.resolve(dir, channel.text_path) } : {}),
      ...(channel.webhook_env ?? channel.url_env ? { urlEnv: channel.webhook_env ?? channel.url_env } : {}),
      ...(channel.secret_env ? { secretEnv: channel.secret_env } : {}),
      ...kindSettings(channel, dir, (field, message) => issue(['alerts', 'channels', index, ...field], message)),
      timeoutMs: channel.timeout ? parseDuration(channel.timeout) : 10_000,
      retries: channel.retries ?? 3,
    };
  });
  for (const [i, name] of (raw.alerts?.digest?.channels ?? []).entries()) {
    if (!channelNames.has(name)) issue(['alerts', 'digest', 'channels', i], `unknown channel "${name}" (known: ${[...channelNames].join(', ') || 'none configured'})`);
    const kind = channels.find((c) => c.name === name)?.kind;
    if (kind && NO_DIGEST_KINDS.has(kind)) issue(['alerts', 'digest', 'channels', i], `channel "${name}" is of kind ${kind}, which takes alerts but no digests (list console, file, slack, webhook or email channels)`);
  }
  const alerts: AlertsConfig = {
    ...(raw.alerts?.templates ? { templates: path.resolve(dir, raw.alerts.templates) } : {}),
    repeatIntervalMs: raw.alerts?.repeat_interval ? parseDuration(raw.alerts.repeat_interval) : null,
    ...(raw.alerts?.report_url ? { reportUrl: raw.alerts.report_url } : {}),
    channels,
    outbox: { maxAttempts: raw.alerts?.outbox?.max_attempts ?? DEFAULT_OUTBOX_MAX_ATTEMPTS, maxAgeMs: raw.alerts?.outbox?.max_age ? parseDuration(raw.alerts.outbox.max_age) : DEFAULT_OUTBOX_MAX_AGE_MS },
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
      timeoutMs: raw.ledger?.timeout ? parseDuration(raw.ledger.timeout) : DEFAULT_GIT_TIMEOUT_MS,
      heartbeatMs: raw.ledger?.heartbeat ? parseDuration(raw.ledger.heartbeat) : DEFAULT_HEARTBEAT_MS,
      ...(raw.ledger?.layout ? { layout: raw.ledger.layout } : {}),
    },
    targets,
    severity: { default: raw.severity?.default ?? 'low', rules },
    alerts,
    policies: normalizePolicies(raw.policies, targets, issue),
    ...(github ? { github } : {}),
    ...(raw.waivers ? { waivers: normalizeWaivers(raw.waivers, targets.map((t) => t.name), issue) } : {}),
  };
}

/** Channel kinds that page or text people: they take alerts, never the digest. */
const NO_DIGEST_KINDS: ReadonlySet<ChannelKind> = new Set(['sms', 'pagerduty']);

/** The kind-specific block of an email, sms or pagerduty channel (the schema checked types and required fields). */
function kindSettings(channel: RawChannel, dir: string, issue: (field: (string | number)[], message: string) => void): Pick<ChannelConfig, 'email' | 'sms' | 'pagerduty'> {
  const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
  if (channel.kind === 'email') {
    const tls = channel.tls ?? (channel.port === 465 ? 'implicit' : 'starttls');
    const checkAddress = (field: (string | number)[], text: string): void => {
      if (!isMailAddress(text)) issue(field, `"${text}" is not an email address (write name@example.com or "Name <name@example.com>")`);
    };
    checkAddress(['from'], channel.from as string);
    for (const key of ['to', 'cc'] as const) list(channel[key]).forEach((a, i) => checkAddress(Array.isArray(channel[key]) ? [key, i] : [key], a));
    if ((channel.user_env === undefined) !== (channel.password_env === undefined)) {
      issue([channel.user_env === undefined ? 'password_env' : 'user_env'], 'SMTP authentication needs both user_env and password_env (or neither, for a server without authentication)');
    }
    if (tls === 'none' && channel.user_env && !/^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i.test(channel.host ?? '')) {
      issue(['tls'], 'none would send the SMTP password unencrypted over the network (use starttls or implicit; tls: none with a login is for a relay on this machine only)');
    }
    const ca = channel.ca ? path.resolve(dir, channel.ca) : undefined;
    if (ca && !existsSync(ca)) issue(['ca'], `file ${ca} does not exist (give the PEM file of the CA that signed the SMTP server's certificate)`);
    return {
      email: {
        host: channel.host as string,
        port: channel.port ?? (tls === 'implicit' ? 465 : tls === 'starttls' ? 587 : 25),
        tls,
        ...(channel.user_env ? { userEnv: channel.user_env } : {}),
        ...(channel.password_env ? { passwordEnv: channel.password_env } : {}),
        ...(ca ? { ca } : {}),
        from: channel.from as string,
        to: list(channel.to),
        cc: list(channel.cc),
      },
    };
  }
  if (channel.kind === 'sms') {
    list(channel.to).forEach((number, i) => {
      if (!/^\+[1-9][0-9]{6,14}$/.test(number)) issue(Array.isArray(channel.to) ? ['to', i] : ['to'], `"${number}" is not a phone number in E.164 form (write a plus, the country code and the number, e.g. +15551234567)`);
    });
    return {
      sms: {
        apiUrl: (channel.api_url ?? DEFAULT_TWILIO_API_URL).replace(/\/+$/, ''),
        accountSidEnv: channel.account_sid_env as string,
        authTokenEnv: channel.auth_token_env as string,
        from: channel.from as string,
        to: list(channel.to),
        maxSegments: channel.max_segments ?? 2,
      },
    };
  }
  if (channel.kind === 'pagerduty') {
    return { pagerduty: { apiUrl: channel.api_url ?? DEFAULT_PAGERDUTY_API_URL, routingKeyEnv: channel.routing_key_env as string } };
  }
  return {};
}

/** `local@domain` or `Display Name <local@domain>`. */
export function isMailAddress(text: string): boolean {
  const inner = /^[^<>]*<([^<>]+)>\s*$/.exec(text)?.[1] ?? text;
  return /^[^\s@<>(),;:"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(inner.trim());
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
