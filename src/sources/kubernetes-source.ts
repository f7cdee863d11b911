import { readFileSync } from 'node:fs';
import type { KubernetesSourceConfig, ProcessSpec } from '../config/config.js';
import type { Ignorer } from '../drift/fields.js';
import { type Json, type ManifestEntry, type SourceManifest, valueEntry } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { canonicalJson } from '../drift/canonical-json.js';
import { createKeyMatcher } from '../match/glob.js';
import { addPrunedFields, appliedFields, CLUSTER_SCOPE, CLUSTER_SCOPED_KINDS, desiredState, isHook, type KubeObject, objectKey, parseObjects, project } from './k8s-normalize.js';
import { uniqueKeys } from './keys.js';
import { runProcess } from './run-process.js';
import { wholeSource, type Source, type SourceContext, type SourceObservation } from './source.js';

/**
 * Kubernetes objects as `value` entries keyed `<kind>/<namespace>/<name>` (cluster-scoped objects:
 * `<kind>/_cluster/<name>`). Live objects come from `file` or `process` (`kubectl get ... -o json`:
 * a List or one object; YAML is read too).
 *
 * Without `desired`, each live object is one entry whose content is its desired state only (see
 * desiredState: no status, managedFields, resourceVersion, uid, generation, timestamps, selfLink,
 * last-applied or revision annotations), normalised with the key's ignore_fields. Two objects with
 * the same key (one kind in two API groups) become "key" and "key~2".
 *
 * With `desired` (rendered manifests such as `helm template` output: multi-document YAML or
 * JSON, from a file or a process), entries are only the differences, as pairs (`pair: true`):
 * - a desired object whose live object differs at the fields the desired object sets (see
 *   project) → `{ actions: ["update"], before: <desired>, after: <live values at those fields> }`;
 * - a desired object with no live object → `{ actions: ["create"], before: <desired>, after: null }`.
 * - a live object of a kind the manifests render, in a namespace they render into, with no
 *   manifest and no owner → `{ actions: ["extra"], before: null, after: <live> }` (see extraObjects;
 *   off with `extra: false`, per kind with `extra_ignore_kinds`);
 * - a field that the live object's last apply set (last-applied-configuration annotation, or
 *   managedFields of operation Apply), that the manifest no longer sets and that is still live
 *   shows in `after` with its live value (apply would prune it).
 * Lists Kubernetes merges by key are matched by key (list-keys.ts). Helm and Argo CD hooks
 * (`helm.sh/hook`, `argocd.argoproj.io/hook` annotations) are left out of the desired objects
 * unless `include_hooks` is set. Objects in sync give no entry. A desired
 * object without a namespace is cluster-scoped if its kind is (a built-in cluster-scoped kind, or
 * a kind seen live without a namespace) and otherwise in namespace "default", as `kubectl apply`
 * without -n. When two desired objects share a key, the later one wins (as sequential applies).
 *
 * Input that cannot be read or parsed, or a failing process, is SOURCE_FAILED.
 */
export function createKubernetesSource(config: KubernetesSourceConfig): Source {
  const what = `source "${config.name}"`;
  return wholeSource(config, 'kubernetes', async (context, ignorer) => {
    const [live, desired] = await Promise.all([
      readObjects(what, 'live objects', config.file, config.process, context),
      config.desired ? readObjects(what, 'desired objects', config.desired.file, config.desired.process, context) : undefined,
    ]);
    return desired && config.desired ? desiredDrift(desired, live, ignorer, config.desired) : liveEntries(live, ignorer);
  });
}

/** The objects of one input (a file or a process's stdout); `what` names the source in messages. */
async function readObjects(what: string, role: string, file: string | undefined, spec: ProcessSpec | undefined, context: SourceContext): Promise<KubeObject[]> {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new DriftError('SOURCE_FAILED', `${what}: cannot read ${role} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return parseObjects(text, `${what}: ${role} ${file}`);
  }
  if (spec === undefined) throw new DriftError('SOURCE_FAILED', `${what}: ${role}: neither file nor process is set`);
  const program = spec.shell ? spec.argv[0] : spec.argv.join(' ');
  const stdout = await runProcess(spec, `${what}: ${role}`, context.env);
  return parseObjects(stdout.toString('utf8'), `${what}: ${role} (output of \`${program}\`)`);
}

function stats(entries: SourceManifest): SourceObservation['stats'] {
  return { entries: entries.size, hashed: entries.size, reused: 0, errors: 0 };
}

function sortedEntries(list: [string, ManifestEntry][]): SourceManifest {
  return new Map(list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function liveEntries(live: readonly KubeObject[], ignorer: Ignorer): SourceObservation {
  const keys = uniqueKeys(live.map((object) => objectKey(object)));
  const entries = sortedEntries(live.map((object, i) => [keys[i], valueEntry(desiredState(object, ignorer(keys[i])))]));
  return { entries, stats: stats(entries) };
}

function desiredDrift(desired: readonly KubeObject[], live: readonly KubeObject[], ignorer: Ignorer, options: NonNullable<KubernetesSourceConfig['desired']>): SourceObservation {
  const liveByKey = new Map<string, KubeObject>();
  const clusterKinds = new Set(CLUSTER_SCOPED_KINDS);
  for (const object of live) {
    const key = objectKey(object);
    if (!liveByKey.has(key)) liveByKey.set(key, object);
    if (typeof object.metadata.namespace !== 'string' || object.metadata.namespace === '') clusterKinds.add(object.kind);
  }
  const desiredByKey = new Map<string, KubeObject>();
  for (const object of desired) {
    if (!options.includeHooks && isHook(object)) continue;
    desiredByKey.set(objectKey(object, (kind) => clusterKinds.has(kind), options.namespace), object);
  }

  const list: [string, ManifestEntry][] = [];
  for (const [key, object] of desiredByKey) {
    const ignore = ignorer(key);
    const want = desiredState(object, ignore);
    const found = liveByKey.get(key);
    if (!found) {
      list.push([key, valueEntry({ actions: ['create'], before: want, after: null }, { pair: true })]);
      continue;
    }
    const liveState = desiredState(found, ignore);
    let seen = project(want, liveState) as Json;
    const applied = appliedFields(found, options.fieldManager);
    if (applied) seen = addPrunedFields(seen, want, applied, liveState);
    if (canonicalJson(seen) !== canonicalJson(want)) list.push([key, valueEntry({ actions: ['update'], before: want, after: seen }, { pair: true })]);
  }
  if (options.extra !== false) list.push(...extraObjects(live, desiredByKey, ignorer, options.extraIgnoreKinds ?? []));
  const entries = sortedEntries(list);
  return { entries, stats: stats(entries) };
}

/**
 * Live objects with no manifest, as `{ actions: ["extra"], before: null, after: <live> }` pairs
 * (what `kubectl apply --prune` or Argo CD would delete): only objects of a kind the manifests
 * render, in a namespace they render into (cluster-scoped kinds: anywhere), that no other object
 * owns (ownerReferences: ReplicaSets and Pods of a Deployment are not extra), that are not
 * hooks, and whose kind no `extra_ignore_kinds` glob matches.
 */
function extraObjects(live: readonly KubeObject[], desiredByKey: ReadonlyMap<string, KubeObject>, ignorer: Ignorer, ignoreKinds: readonly string[]): [string, ManifestEntry][] {
  const kinds = new Set<string>();
  const scopes = new Set<string>();
  for (const key of desiredByKey.keys()) {
    const [kind, scope] = key.split('/');
    kinds.add(kind);
    scopes.add(scope);
  }
  const ignored = createKeyMatcher(ignoreKinds);
  const out: [string, ManifestEntry][] = [];
  const seen = new Set<string>();
  for (const object of live) {
    const key = objectKey(object);
    if (desiredByKey.has(key) || seen.has(key)) continue;
    seen.add(key);
    const scope = key.split('/')[1];
    if (!kinds.has(object.kind) || (scope !== CLUSTER_SCOPE && !scopes.has(scope))) continue;
    const owners = object.metadata.ownerReferences;
    if ((Array.isArray(owners) && owners.length > 0) || isHook(object) || ignored(object.kind)) continue;
    out.push([key, valueEntry({ actions: ['extra'], before: null, after: desiredState(object, ignorer(key)) }, { pair: true })]);
  }
  return out;
}
