import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseYaml } from '../yaml/yaml.js';
import type { ConfigIssue } from '../errors.js';
import { validateAgainst } from '../schemas.js';
import type { SourceConfig, TargetConfig } from './config.js';
import { normalizeSchedule, type RawSchedule } from './schedule-policy-config.js';
import { normalizeRemediate, type RawRemediate } from './remediate-config.js';
import { hostExec, normalizeSource, type RawSource } from './source-config.js';

/**
 * Targets, packs and the inventory (README "Fleets and compliance packs").
 *
 * A pack is a named, reusable set of sources. It runs on a target or an inventory host when the
 * host lists it (`packs: [cis]`) or carries all of the pack's `labels`. Every host × pack pair is a
 * target of its own, named `HOST.PACK`, with the host's labels plus `host` and `pack`, so that it
 * has its own baseline, report, alerts and verdict. A configured target keeps its own `sources`
 * as the target NAME; its packs become NAME.PACK. Inventory hosts run their packs' commands
 * through the host's `exec` prefix (or the inventory's), with {host} and {address} replaced.
 */
export interface RawTarget extends RawSchedule {
  name: string;
  enabled?: boolean;
  labels?: Record<string, string>;
  sources?: RawSource[];
  packs?: string[];
  remediate?: RawRemediate;
}
export interface RawPack extends RawSchedule {
  name: string;
  labels?: Record<string, string>;
  sources: RawSource[];
  remediate?: RawRemediate;
}
export type RawInventoryRef = string | { file: string; exec?: string[] };

interface InventoryHost {
  name: string;
  address?: string;
  labels?: Record<string, string>;
  enabled?: boolean;
  exec?: string[];
  packs?: string[];
}

type Issue = (segments: (string | number)[], message: string) => void;

export interface FleetInput {
  dir: string;
  driftignore: string[];
  targets?: RawTarget[];
  packs?: RawPack[];
  inventory?: RawInventoryRef;
  /** `targets` is the one default target made from top-level `sources`. */
  topLevel?: boolean;
  issue: Issue;
  /** Issues located in another file (the inventory). */
  fileIssue: (issue: ConfigIssue) => void;
}

export function expandTargets(input: FleetInput): TargetConfig[] {
  const { dir, driftignore, issue } = input;
  const packs = new Map<string, { raw: RawPack; index: number; schedule?: Pick<TargetConfig, 'schedule' | 'timezone'> }>();
  (input.packs ?? []).forEach((raw, index) => {
    if (packs.has(raw.name)) {
      issue(['packs', index, 'name'], `duplicate pack name "${raw.name}"`);
      return;
    }
    packs.set(raw.name, { raw, index, ...(raw.schedule !== undefined || raw.timezone !== undefined ? { schedule: normalizeSchedule(raw, ['packs', index], issue) } : {}) });
  });
  const knownPacks = (): string => [...packs.keys()].join(', ') || 'none defined under "packs"';
  const targets: TargetConfig[] = [];
  const names = new Map<string, { origin: string; configured: boolean }>();
  /** `origin` says where the name comes from; `configured`: a target named in the config, not a HOST.PACK. */
  const add = (target: TargetConfig, origin: string, at: (string | number)[], configured = false): void => {
    const previous = names.get(target.name);
    if (previous) issue(at, configured && previous.configured ? `duplicate target name "${target.name}"` : `target name "${target.name}" (${origin}) is already used by ${previous.origin}: rename one of them`);
    else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(target.name)) issue(at, `makes the target name "${target.name}", which is not a valid name (letters, digits, ".", "_", "-", at most 64 characters)`);
    names.set(target.name, { origin, configured });
    targets.push(target);
  };

  const sourcesOf = (raw: RawSource[], at: (string | number)[], exec: string[] | undefined, substitute?: (text: string) => string): SourceConfig[] => {
    const seen = new Set<string>();
    return raw.map((source, index) => {
      const name = source.name ?? source.kind;
      if (seen.has(name)) issue([...at, index, 'name'], `duplicate source name "${name}" (give each source a unique name)`);
      seen.add(name);
      const normalized = normalizeSource(source, name, [...at, index], { dir, driftignore, exec, substitute, issue });
      const remediate = normalizeRemediate(source.remediate, [...at, index], dir, issue, { exec, substitute });
      return remediate ? { ...normalized, remediate } : normalized;
    });
  };

  const packTargets = (
    host: { name: string; labels: Record<string, string>; enabled: boolean; listed: string[]; exec?: string[]; address: string },
    at: (string | number)[],
    origin: string,
    schedule: Pick<TargetConfig, 'schedule' | 'timezone'>,
    packIssue: (index: number, message: string) => void = (i, message) => issue([...at, 'packs', i], message),
  ): void => {
    host.listed.forEach((name, i) => {
      if (!packs.has(name)) packIssue(i, `unknown pack "${name}" (known: ${knownPacks()})`);
    });
    const substitute = (text: string): string => text.replace(/\{host\}/g, host.name).replace(/\{address\}/g, host.address);
    for (const [name, { raw, index, schedule: packSchedule }] of packs) {
      const byLabel = raw.labels !== undefined && Object.keys(raw.labels).length > 0 && Object.entries(raw.labels).every(([k, v]) => host.labels[k] === v);
      if (!host.listed.includes(name) && !byLabel) continue;
      add(
        {
          name: `${host.name}.${name}`,
          enabled: host.enabled,
          labels: { ...host.labels, host: host.name, pack: name },
          sources: sourcesOf(raw.sources, ['packs', index, 'sources'], host.exec, substitute),
          ...(packSchedule ?? schedule),
          ...optional('remediate', normalizeRemediate(raw.remediate, ['packs', index], dir, issue, { exec: host.exec, substitute })),
        },
        `${origin} × pack ${name}`,
        at,
      );
    }
  };

  (input.targets ?? []).forEach((raw, index) => {
    // The default target of top-level `sources` is located at the root of the file.
    const at = input.topLevel ? [] : ['targets', index];
    if (!raw.sources && !raw.packs) issue([...at, 'sources'], 'is required (list what to watch, or give the target "packs")');
    const schedule = normalizeSchedule(raw, at, issue);
    if (raw.sources) {
      add(
        { name: raw.name, enabled: raw.enabled ?? true, labels: { ...(raw.labels ?? {}) }, sources: sourcesOf(raw.sources, [...at, 'sources'], undefined), ...schedule, ...optional('remediate', normalizeRemediate(raw.remediate, at, dir, issue)) },
        `targets[${index}]`,
        input.topLevel ? ['sources'] : [...at, 'name'],
        true,
      );
    }
    packTargets({ name: raw.name, labels: { ...(raw.labels ?? {}) }, enabled: raw.enabled ?? true, listed: raw.packs ?? [], address: raw.name }, at, `targets[${index}]`, schedule);
  });

  if (input.inventory !== undefined) {
    const ref = typeof input.inventory === 'string' ? { file: input.inventory } : input.inventory;
    const file = path.resolve(dir, ref.file);
    const relative = path.relative(dir, file);
    const display = relative && !relative.startsWith('..') ? relative : file;
    const hosts = readInventory(file, display, input.fileIssue);
    if (hosts === undefined) {
      issue(['inventory'], `${ref.file} could not be read (see the error above)`);
    } else {
      hosts.forEach((host, index) => {
        const address = host.address ?? host.name;
        const substitute = (text: string): string => text.replace(/\{host\}/g, host.name).replace(/\{address\}/g, address);
        const template = host.exec ?? ref.exec;
        const exec = template ? hostExec(template, substitute) : undefined;
        packTargets(
          { name: host.name, labels: { ...(host.labels ?? {}) }, enabled: host.enabled ?? true, listed: host.packs ?? [], exec, address },
          ['inventory'],
          `${display} host ${host.name}`,
          {},
          (i, message) => input.fileIssue({ file: display, path: `hosts[${index}].packs[${i}]`, message }),
        );
      });
    }
  }
  if (targets.length === 0 && input.targets) issue(['targets'], 'defines no target with sources or packs');
  return targets;
}

function readInventory(file: string, display: string, fileIssue: (issue: ConfigIssue) => void): InventoryHost[] | undefined {
  if (!existsSync(file)) {
    fileIssue({ file: display, path: '', message: 'inventory file not found (fix the "inventory" path in the config, relative to the config file)' });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    fileIssue({ file: display, path: '', message: `not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}` });
    return undefined;
  }
  const document = Array.isArray(raw) ? { hosts: raw } : raw;
  const problems = validateAgainst('inventory', document);
  if (problems.length > 0) {
    for (const problem of problems) fileIssue({ file: display, path: problem.path, message: problem.message });
    return undefined;
  }
  const hosts = (document as { hosts: InventoryHost[] }).hosts;
  const seen = new Set<string>();
  let unsafe = false;
  for (const [index, host] of hosts.entries()) {
    // An address reaches ssh (or any exec prefix) as one argument: it must not read as an option.
    if (host.address !== undefined && (host.address.startsWith('-') || /[\s\x00-\x1f\x7f]/.test(host.address))) {
      fileIssue({ file: display, path: `hosts[${index}].address`, message: `${JSON.stringify(host.address)} must not start with "-" or contain whitespace or control characters (give a host name or IP address)` });
      unsafe = true;
    }
    if (seen.has(host.name)) fileIssue({ file: display, path: `hosts[${index}].name`, message: `duplicate host "${host.name}"` });
    seen.add(host.name);
  }
  return unsafe ? undefined : hosts;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
