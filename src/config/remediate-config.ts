import path from 'node:path';
import { parseDuration, type ConfigWaiver, type RawRemediate, type RemediateConfig } from './config.js';
import { hostExec } from './source-config.js';

export type { RawRemediate };

/** `waivers:` entries as written. */
export interface RawWaiver {
  target?: string;
  keys: string | string[];
  until: string;
  reason: string;
}

type Issue = (segments: (string | number)[], message: string) => void;

export const DEFAULT_REMEDIATE_TIMEOUT_MS = 600_000;

/**
 * A target's (or pack's) `remediate:`. Like command sources: no shell unless `command` with
 * `shell: true`; `exec` (or the host's exec in a fleet) prefixes the command to run it elsewhere.
 */
export function normalizeRemediate(raw: RawRemediate | undefined, at: (string | number)[], dir: string, issue: Issue, host?: { exec?: string[]; substitute?: (text: string) => string }): RemediateConfig | undefined {
  if (raw === undefined) return undefined;
  const sub = host?.substitute ?? ((text: string): string => text);
  const spec = Array.isArray(raw) ? { argv: raw } : raw;
  const where = [...at, 'remediate'];
  if (spec.argv !== undefined && spec.command !== undefined) issue([...where, 'command'], 'give either argv (a list, run without a shell) or command (a shell line, with shell: true), not both');
  if (spec.command !== undefined && !spec.shell) issue([...where, 'command'], 'is a shell command line: set "shell: true" to run it through /bin/sh, or give "argv" as a list');
  if (spec.shell && spec.command === undefined) issue([...where, 'shell'], 'needs "command" (a shell command line); with "argv" no shell is used');
  if (spec.argv === undefined && spec.command === undefined) issue(where, 'needs argv (a list, e.g. [kubectl, apply, -f, manifests/]) or command with shell: true');
  let timeoutMs = DEFAULT_REMEDIATE_TIMEOUT_MS;
  if (spec.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(spec.timeout);
    } catch (error) {
      issue([...where, 'timeout'], (error as Error).message);
    }
  }
  return {
    argv: spec.command !== undefined ? [sub(spec.command)] : (spec.argv ?? []).map(sub),
    shell: spec.command !== undefined,
    cwd: path.resolve(dir, sub(spec.cwd ?? '.')),
    timeoutMs,
    env: [...(spec.env ?? [])],
    exec: spec.exec ? hostExec(spec.exec, sub) : (host?.exec ?? []),
  };
}

/** `waivers:` with their expiry checked; `targets` are the configured target names. */
export function normalizeWaivers(raw: RawWaiver[] | undefined, targets: string[], issue: Issue): ConfigWaiver[] {
  return (raw ?? []).map((waiver, index) => {
    const until = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(waiver.until) ? `${waiver.until}T23:59:59.999Z` : waiver.until);
    if (Number.isNaN(until) || !/^\d{4}-\d{2}-\d{2}/.test(waiver.until)) issue(['waivers', index, 'until'], `"${waiver.until}" is not a date: write 2026-12-31 (the end of that day, UTC) or an ISO time such as 2026-12-31T18:00:00Z`);
    if (waiver.target !== undefined && !targets.includes(waiver.target)) issue(['waivers', index, 'target'], `unknown target "${waiver.target}" (known: ${targets.join(', ')})`);
    return {
      index,
      ...(waiver.target !== undefined ? { target: waiver.target } : {}),
      keys: Array.isArray(waiver.keys) ? [...waiver.keys] : [waiver.keys],
      until: Number.isNaN(until) ? waiver.until : new Date(until).toISOString(),
      reason: waiver.reason,
    };
  });
}
