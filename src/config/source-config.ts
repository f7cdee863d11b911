import path from 'node:path';
import { checkFieldPattern } from '../match/field-pattern.js';
import { checkGlob } from '../match/glob.js';
import { type Severity } from '../drift/severity-levels.js';
import { parseDuration, type IgnoreFieldsRule, type MetricThreshold, type OutputFormat, type ProcessSpec, type RawRemediate, type SourceConfig } from './config.js';
import { parseThreshold } from './thresholds.js';
import { checkRedactions, DEFAULT_CAPTURE_MAX_BYTES, type CaptureConfig } from '../capture/capture.js';

/**
 * Turns one source as written in driftctl.yml (already schema-valid) into its normalised config:
 * paths resolved against the config's folder, durations in ms, defaults filled, globs and field
 * patterns checked. Problems are reported through `issue` with the field path they concern.
 */
export type RawSource = {
  name?: string;
  kind: SourceConfig['kind'];
  ignore_fields?: (string | { keys?: string | string[]; fields: string[] })[];
  // files
  root?: string;
  watch?: string[];
  ignore?: string[];
  structured?: string | string[];
  group?: string | string[];
  capture?: string | string[];
  capture_max_bytes?: number | string;
  redact?: string[];
  // processes (command, terraform, kubernetes)
  argv?: string[];
  command?: string;
  shell?: boolean;
  cwd?: string;
  timeout?: string;
  env?: string[];
  exec?: string[];
  dir?: string;
  remediate?: RawRemediate;
  // records (command, http)
  parse?: OutputFormat;
  items?: string;
  key?: string;
  value?: string;
  attribution_field?: string;
  attribution_command?: string | string[];
  // http
  url?: string;
  headers?: Record<string, string>;
  headers_env?: Record<string, string>;
  ca?: string;
  // terraform
  plan?: string;
  schema?: string;
  // kubernetes
  file?: string;
  desired?: { file?: string; argv?: string[]; command?: string; shell?: boolean; namespace?: string; include_hooks?: boolean; extra?: boolean; extra_ignore_kinds?: string[]; field_manager?: string };
  // metrics
  thresholds?: (string | { when: string; severity?: Severity })[];
  disk?: string;
  readings?: string;
};

export interface SourceNormalizeContext {
  /** Folder relative paths are resolved against. */
  dir: string;
  driftignore: string[];
  /** Remote prefix of the host this source runs for (fleets), with {host}/{address} already replaced. */
  exec?: string[];
  /** Replaces {host} and {address} in argv, URLs and commands (fleets). */
  substitute?: (text: string) => string;
  issue: (segments: (string | number)[], message: string) => void;
}

const DEFAULT_TIMEOUT_MS = { command: 60_000, http: 30_000, terraform: 600_000, kubernetes: 120_000 } as const;
const DEFAULT_KUBECTL = ['kubectl', 'get', 'all', '-A', '-o', 'json'];

/**
 * A remote prefix with its placeholders ({host}, {address}) substituted. For ssh, option parsing
 * ends with a `--` before the host (inserted when missing; a `--` right after the host is then
 * dropped, since ssh no longer parses options there), so no host or address can act as an option.
 */
export function hostExec(template: readonly string[], substitute: (text: string) => string): string[] {
  const exec = [...template];
  const at = exec.findIndex((arg) => /\{(host|address)\}/.test(arg));
  if (at > 0 && path.basename(exec[0]) === 'ssh' && !exec.slice(1, at).includes('--')) {
    exec.splice(at, exec[at + 1] === '--' ? 2 : 1, '--', exec[at]);
  }
  return exec.map(substitute);
}

/**
 * Watched keys never leave the root nor name git's data: a pattern with a `.`, `..` or `.git`
 * path segment is refused (its keys would become tree entries that git refuses).
 */
function outsideRoot(glob: string): string | undefined {
  const segment = glob.trim().replace(/^\.\//, '').split('/').find((part) => part === '.' || part === '..' || part.toLowerCase() === '.git');
  if (segment === undefined) return undefined;
  return segment.toLowerCase() === '.git'
    ? `names git's own data (a ".git" segment), which is never watched: remove "${glob}"`
    : `leaves the source's root (a "${segment}" segment in "${glob}"): watch files elsewhere with a source whose "root" is that directory`;
}

export function normalizeSource(source: RawSource, name: string, at: (string | number)[], ctx: SourceNormalizeContext): SourceConfig {
  const sub = ctx.substitute ?? ((text: string) => text);
  const ignoreFields = normalizeIgnoreFields(source.ignore_fields ?? [], [...at, 'ignore_fields'], ctx);
  const resolve = (p: string): string => path.resolve(ctx.dir, sub(p));
  const processSpec = (raw: { argv?: string[]; command?: string; shell?: boolean }, where: (string | number)[], fallback?: string[]): ProcessSpec | undefined => {
    if (raw.argv !== undefined && raw.command !== undefined) ctx.issue([...where, 'command'], 'give either argv (a list, run without a shell) or command (a shell line, with shell: true), not both');
    if (raw.command !== undefined && !raw.shell) ctx.issue([...where, 'command'], 'is a shell command line: set "shell: true" to run it through /bin/sh, or give "argv" as a list');
    if (raw.shell && raw.command === undefined) ctx.issue([...where, 'shell'], 'needs "command" (a shell command line); with "argv" no shell is used');
    const argv = raw.command !== undefined ? [sub(raw.command)] : raw.argv ? raw.argv.map(sub) : fallback;
    if (!argv) return undefined;
    return {
      argv,
      shell: raw.command !== undefined,
      cwd: resolve(source.cwd ?? '.'),
      timeoutMs: source.timeout ? parseDuration(source.timeout) : DEFAULT_TIMEOUT_MS[source.kind as 'command'],
      env: [...(source.env ?? [])],
      exec: source.exec ? hostExec(source.exec, sub) : (ctx.exec ?? []),
    };
  };
  const selection = {
    parse: source.parse ?? 'json',
    ...(source.items ? { items: source.items } : {}),
    ...(source.key ? { key: source.key } : {}),
    ...(source.value ? { value: source.value } : {}),
    ...(source.attribution_field ? { byField: source.attribution_field } : {}),
  };
  if (source.attribution_field !== undefined) {
    if (source.parse !== undefined && source.parse !== 'json' && source.parse !== 'jsonl') ctx.issue([...at, 'attribution_field'], 'reads a field of JSON records: use parse json or jsonl, or attribution_command');
    else {
      const problem = checkFieldPattern(source.attribution_field);
      if (problem) ctx.issue([...at, 'attribution_field'], problem);
    }
  }
  const attribution =
    source.attribution_command === undefined
      ? {}
      : { attribution: processSpec(Array.isArray(source.attribution_command) ? { argv: source.attribution_command } : { command: source.attribution_command, shell: true }, [...at, 'attribution_command']) as ProcessSpec };
  switch (source.kind) {
    case 'files': {
      const globs = (field: 'watch' | 'ignore' | 'structured' | 'group' | 'capture'): string[] => {
        const value = source[field];
        const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
        list.forEach((glob, i) => {
          const problem = checkGlob(glob) ?? (field === 'watch' || field === 'group' ? outsideRoot(glob) : undefined);
          if (problem) ctx.issue([...at, field, ...(Array.isArray(value) ? [i] : [])], problem);
        });
        return [...list];
      };
      if (ctx.exec && ctx.exec.length > 0) {
        ctx.issue([...at, 'kind'], 'a files source reads this machine\'s disk and cannot run on a remote host: use a command source (e.g. argv: [sha256sum, /etc/ssh/sshd_config], parse: lines)');
      }
      // A root that does not exist is not a config error: like a host that is offline, it fails
      // that target's observation at check time (SOURCE_FAILED) and leaves the other targets alone.
      return {
        name,
        kind: 'files',
        root: resolve(source.root ?? '.'),
        watch: globs('watch'),
        ignore: globs('ignore'),
        driftignore: ctx.driftignore,
        structured: globs('structured'),
        groups: globs('group'),
        ignoreFields,
        ...captureConfig(source, globs('capture'), at, ctx),
      };
    }
    case 'command':
      checkSelection(source, at, ctx);
      if (source.argv === undefined && source.command === undefined) ctx.issue(at, 'needs argv (a list such as [docker, image, ls, --format, json]) or command (a shell line, with shell: true)');
      return { name, kind: 'command', ignoreFields, ...selection, process: processSpec(source, at) as ProcessSpec, ...attribution };
    case 'http': {
      checkSelection(source, at, ctx);
      for (const header of Object.keys(source.headers ?? {})) {
        if (/^(authorization|cookie|x-api-key|private-token)$/i.test(header)) {
          ctx.issue([...at, 'headers', header], 'looks like a secret: put it in an environment variable and name it under headers_env (never in the config)');
        }
      }
      return {
        name,
        kind: 'http',
        ignoreFields,
        ...selection,
        url: sub(source.url as string),
        headers: { ...(source.headers ?? {}) },
        headersEnv: { ...(source.headers_env ?? {}) },
        timeoutMs: source.timeout ? parseDuration(source.timeout) : DEFAULT_TIMEOUT_MS.http,
        ...(source.ca ? { ca: resolve(source.ca) } : {}),
        ...attribution,
      };
    }
    case 'terraform':
      if ((source.plan === undefined) === (source.dir === undefined)) {
        ctx.issue(at, source.plan === undefined ? 'needs plan (a file of `terraform show -json` output of a refresh-only plan) or dir (a Terraform directory to run one in)' : 'give either plan or dir, not both');
      }
      return {
        name,
        kind: 'terraform',
        ignoreFields,
        ...(source.plan ? { plan: resolve(source.plan) } : {}),
        ...(source.schema ? { schema: resolve(source.schema) } : {}),
        ...(source.dir ? { process: { ...(processSpec({ argv: source.argv }, at, ['terraform']) as ProcessSpec), cwd: resolve(source.dir) } } : {}),
      };
    case 'kubernetes': {
      if (source.file !== undefined && (source.argv !== undefined || source.command !== undefined)) ctx.issue([...at, 'file'], 'give either file (kubectl output saved to a file) or argv/command (run kubectl), not both');
      const sides = [source.desired?.file, source.desired?.argv, source.desired?.command].filter((x) => x !== undefined).length;
      if (source.desired && sides !== 1) ctx.issue([...at, 'desired'], 'needs exactly one of file (rendered manifests) or argv/command (a rendering command such as helm template)');
      const live = source.file ? undefined : processSpec(source, at, DEFAULT_KUBECTL);
      const desired = source.desired;
      return {
        name,
        kind: 'kubernetes',
        ignoreFields,
        ...(source.file ? { file: resolve(source.file) } : { process: live }),
        ...(desired
          ? {
              desired: {
                ...(desired.file ? { file: resolve(desired.file) } : { process: processSpec(desired, [...at, 'desired']) as ProcessSpec }),
                ...(desired.namespace ? { namespace: sub(desired.namespace) } : {}),
                ...(desired.include_hooks !== undefined ? { includeHooks: desired.include_hooks } : {}),
                ...(desired.extra !== undefined ? { extra: desired.extra } : {}),
                ...(desired.extra_ignore_kinds ? { extraIgnoreKinds: desired.extra_ignore_kinds } : {}),
                ...(desired.field_manager ? { fieldManager: desired.field_manager } : {}),
              },
            }
          : {}),
      };
    }
    case 'metrics': {
      const thresholds: MetricThreshold[] = [];
      (source.thresholds ?? []).forEach((raw, i) => {
        const text = typeof raw === 'string' ? raw : raw.when;
        try {
          thresholds.push(parseThreshold(text, typeof raw === 'string' ? undefined : raw.severity));
        } catch (error) {
          ctx.issue([...at, 'thresholds', i, ...(typeof raw === 'string' ? [] : ['when'])], (error as Error).message);
        }
      });
      return { name, kind: 'metrics', ignoreFields, thresholds, disk: resolve(source.disk ?? '/'), ...(source.readings ? { readings: resolve(source.readings) } : {}) };
    }
  }
}

function checkSelection(source: RawSource, at: (string | number)[], ctx: SourceNormalizeContext): void {
  for (const field of ['items', 'value'] as const) {
    const text = source[field];
    if (text === undefined) continue;
    const problem = checkFieldPattern(text);
    if (problem) ctx.issue([...at, field], `${problem} (use a dotted path like data.items or a JSON Pointer like /data/items)`);
  }
  if (source.key !== undefined && source.parse === 'lines') {
    try {
      const re = new RegExp(source.key);
      if (!/\(\?<key>/.test(re.source)) ctx.issue([...at, 'key'], 'with parse: lines, key is a regular expression with a named group (?<key>...)');
    } catch (error) {
      ctx.issue([...at, 'key'], `is not a valid regular expression (${(error as Error).message})`);
    }
  }
  if ((source.items !== undefined || source.value !== undefined) && (source.parse === 'lines' || source.parse === 'text')) {
    ctx.issue([...at, source.items !== undefined ? 'items' : 'value'], `only applies to parse: json or jsonl (this source parses ${source.parse})`);
  }
}

/** `capture`, `capture_max_bytes` and `redact` of a files source; absent when nothing is captured. */
function captureConfig(source: RawSource, globs: string[], at: (string | number)[], ctx: SourceNormalizeContext): { capture?: CaptureConfig } {
  const redactions = source.redact ?? [];
  for (const problem of checkRedactions(redactions)) ctx.issue([...at, 'redact', problem.index], problem.message);
  let maxBytes = DEFAULT_CAPTURE_MAX_BYTES;
  const raw = source.capture_max_bytes;
  if (typeof raw === 'number') maxBytes = raw;
  else if (typeof raw === 'string') {
    const m = /^([0-9]+) ?(B|KiB|MiB|kB|MB)$/.exec(raw);
    if (m) maxBytes = Number(m[1]) * { B: 1, KiB: 1024, MiB: 1024 * 1024, kB: 1000, MB: 1000 * 1000 }[m[2] as 'B'];
  }
  if (globs.length === 0) {
    if (redactions.length > 0 || raw !== undefined) ctx.issue([...at, 'capture'], 'is needed for redact and capture_max_bytes to apply: list the files whose content to keep (for example ["prompts/**", "config/**"])');
    return {};
  }
  return { capture: { globs, maxBytes, redact: [...redactions] } };
}

function normalizeIgnoreFields(raw: NonNullable<RawSource['ignore_fields']>, at: (string | number)[], ctx: SourceNormalizeContext): IgnoreFieldsRule[] {
  const rules: IgnoreFieldsRule[] = [];
  const everyKey: string[] = [];
  raw.forEach((item, i) => {
    const fields = typeof item === 'string' ? [item] : item.fields;
    fields.forEach((field, j) => {
      const problem = checkFieldPattern(field);
      if (problem) ctx.issue(typeof item === 'string' ? [...at, i] : [...at, i, 'fields', j], `${problem} (use a JSON Pointer like /metadata/uid or a dotted path like metadata.*.time)`);
    });
    if (typeof item === 'string') {
      everyKey.push(item);
      return;
    }
    const keys = item.keys === undefined ? undefined : Array.isArray(item.keys) ? item.keys : [item.keys];
    keys?.forEach((glob, j) => {
      const problem = checkGlob(glob);
      if (problem) ctx.issue([...at, i, 'keys', ...(Array.isArray(item.keys) ? [j] : [])], problem);
    });
    rules.push({ ...(keys ? { keys: [...keys] } : {}), fields: [...item.fields] });
  });
  return everyKey.length > 0 ? [{ fields: everyKey }, ...rules] : rules;
}
