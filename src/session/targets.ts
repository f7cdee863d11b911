import type { Config, TargetConfig } from '../config/config.js';
import { DriftError } from '../errors.js';

/**
 * The enabled targets to work on. `names` are target names, or host names of a fleet (every
 * HOST.PACK target of that host); `labels` ("k=v") keep targets carrying all of them. A name or
 * label that selects nothing is an error, so a typo never turns into "nothing to check".
 */
export function selectTargets(config: Config, names: string[] | undefined, labels: string[] = []): { selected: TargetConfig[]; disabled: TargetConfig[] } {
  const known = new Map(config.targets.map((t) => [t.name, t]));
  let chosen = config.targets;
  if (names && names.length > 0) {
    chosen = names.flatMap((name) => {
      const target = known.get(name);
      if (target) return [target];
      const ofHost = config.targets.filter((t) => t.labels.host === name);
      if (ofHost.length > 0) return ofHost;
      throw new DriftError('UNKNOWN_TARGET', `unknown target "${name}" (known: ${[...known.keys()].join(', ')})`, { data: { target: name } });
    });
    chosen = [...new Set(chosen)];
  }
  for (const label of labels) {
    const eq = label.indexOf('=');
    if (eq <= 0) throw new DriftError('BAD_LABEL', `--label ${label}: expected KEY=VALUE, for example --label env=prod`, { data: { label } });
    const [key, value] = [label.slice(0, eq), label.slice(eq + 1)];
    const kept = chosen.filter((t) => t.labels[key] === value);
    if (kept.length === 0) {
      const seen = [...new Set(config.targets.map((t) => t.labels[key]).filter((v) => v !== undefined))];
      throw new DriftError('NO_TARGET_MATCHES', `--label ${label} selects no target (${seen.length ? `values of "${key}": ${seen.join(', ')}` : `no target has a "${key}" label`})`, { data: { label } });
    }
    chosen = kept;
  }
  return { selected: chosen.filter((t) => t.enabled), disabled: chosen.filter((t) => !t.enabled) };
}

/** Exactly one target: the named one, or the only one configured, or the only enabled one. */
export function singleTarget(config: Config, name: string | undefined): TargetConfig {
  if (name) {
    const exact = config.targets.find((t) => t.name === name);
    const ofHost = exact ? [exact] : config.targets.filter((t) => t.labels.host === name);
    if (ofHost.length > 1) {
      throw new DriftError('TARGET_REQUIRED', `"${name}" is a fleet host with several targets (${ofHost.map((t) => t.name).join(', ')}): choose one with --target HOST.PACK`, { data: { target: name } });
    }
    return selectTargets(config, [name]).selected[0] ?? disabledTarget(ofHost[0]?.name ?? name);
  }
  if (config.targets.length === 1) return config.targets[0];
  // Disabled targets do not count: with one enabled target, that is the one meant.
  const enabled = config.targets.filter((t) => t.enabled);
  if (enabled.length === 1) return enabled[0];
  const disabled = config.targets.length - enabled.length;
  throw new DriftError(
    'TARGET_REQUIRED',
    `several targets are configured (${(enabled.length > 0 ? enabled : config.targets).map((t) => t.name).join(', ')}${enabled.length > 0 && disabled > 0 ? `, and ${disabled} disabled` : ''}): choose one with --target NAME`,
    {},
  );
}

function disabledTarget(name: string): never {
  throw new DriftError('TARGET_DISABLED', `target "${name}" is disabled in the config (enabled: false)`, { data: { target: name } });
}
