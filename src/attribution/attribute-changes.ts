import type { ProcessSpec, SourceConfig } from '../config/config.js';
import type { Change } from '../drift/report.js';
import { runProcess } from '../sources/run-process.js';
import { attributeFileChanges, type AttributionOptions } from './attribution.js';
import type { Attribution } from '../drift/attribution.js';

/**
 * A report's changes with their `attribution` (attribution.ts): files in a git work tree by their
 * git state and commits; `value` entries by the `by` their source's attribution_field stored; and
 * sources with an `attribution_command` by its output, run once per check and only when the source
 * has changes. Attribution never fails a check: a failing command or git call leaves it out.
 */
export async function withAttribution(sources: readonly SourceConfig[], changes: Change[], options: AttributionOptions): Promise<Change[]> {
  if (changes.length === 0) return changes;
  const found = await attributeFileChanges(sources, changes, options);
  for (const source of sources) {
    if ((source.kind !== 'command' && source.kind !== 'http') || !source.attribution) continue;
    const mine = changes.filter((c) => c.source === source.name);
    if (mine.length === 0) continue;
    const answer = await runAttributionCommand(source.attribution, source.name, options.env);
    if (answer === undefined) continue;
    for (const change of mine) {
      const by = typeof answer === 'string' ? answer : answer[change.key];
      if (by !== undefined) found.set(`${change.source}\u0000${change.key}`, { ...(found.get(`${change.source}\u0000${change.key}`) ?? {}), by });
    }
  }
  return changes.map((change) => {
    const id = `${change.source}\u0000${change.key}`;
    const stored = (change.after ?? change.before)?.by;
    const attribution: Attribution | undefined = found.get(id) ?? (stored !== undefined ? { by: stored } : undefined);
    return attribution ? { ...change, attribution } : change;
  });
}

/**
 * The command's answer: a JSON object of key → text attributes each change by its key; any other
 * output is one line (its first non-empty one, at most 200 characters) for every change.
 */
async function runAttributionCommand(spec: ProcessSpec, source: string, env: NodeJS.ProcessEnv): Promise<string | Record<string, string> | undefined> {
  let out: string;
  try {
    out = (await runProcess(spec, `source "${source}": attribution_command`, env)).toString('utf8');
  } catch {
    return undefined;
  }
  const trimmed = out.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const map: Record<string, string> = {};
        for (const [key, value] of Object.entries(parsed)) if (value !== null && value !== undefined) map[key] = clip(typeof value === 'string' ? value : JSON.stringify(value));
        return map;
      }
    } catch {
      // not JSON: one line for every change
    }
  }
  const line = trimmed.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? undefined : clip(line.trim());
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
