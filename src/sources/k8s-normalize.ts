import { createHash } from 'node:crypto';
import { parseYamlStream } from '../yaml/yaml.js';
import { type FieldMatcher } from '../match/field-pattern.js';
import { normalizeContent } from '../drift/fields.js';
import type { Json } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { kubernetesListItems, listItemSegment, sortKeyedLists } from '../drift/list-keys.js';
import { safeKey } from './keys.js';

/**
 * Pure helpers of the kubernetes source: reading objects from `kubectl -o json` / rendered
 * manifests, keeping only desired state, keying, and projecting live objects onto desired ones.
 */

/** A Kubernetes object as read: at least `kind` and `metadata.name`. */
export type KubeObject = Record<string, unknown> & { kind: string; metadata: Record<string, unknown> & { name: string } };

/** The namespace segment of a cluster-scoped object's key (no namespace can be named so: "_" is not allowed). */
export const CLUSTER_SCOPE = '_cluster';

/** Namespace of a desired namespaced object that names none (as `kubectl apply` without -n would use). */
export const DEFAULT_NAMESPACE = 'default';

/** Built-in cluster-scoped kinds; kinds seen without a namespace among the live objects count too. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/** Metadata the API server maintains: never desired state. */
const SERVER_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink'];
/** Annotations written by tools on every apply or rollout. */
const TOOL_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The objects in `text`: JSON (one object, an array, or a List with `items`) or YAML with any
 * number of `---` separated documents (empty and comment-only documents are skipped). Lists are
 * flattened; an item without `kind` takes it from a typed list (`DeploymentList` → `Deployment`).
 * Anything that does not parse, or an object without `kind` or `metadata.name`, is SOURCE_FAILED
 * (`what` starts the message).
 */
export function parseObjects(text: string, what: string): KubeObject[] {
  const fail = (message: string): never => {
    throw new DriftError('SOURCE_FAILED', `${what}: ${message}`);
  };
  const body = text.replace(/^\uFEFF/, '');
  const documents: unknown[] = [];
  let json: unknown;
  let jsonError: Error | undefined;
  if (/^\s*[[{]/.test(body)) {
    try {
      json = JSON.parse(body);
    } catch (error) {
      jsonError = error as Error;
    }
  }
  if (json !== undefined) documents.push(json);
  else {
    // JSON is YAML: a JSON document followed by `---` and more documents is a valid YAML stream.
    const all = parseYamlStream(body, { maxAliasCount: 1000 }).documents;
    if (jsonError && (all.length < 2 || all.some((doc) => doc.errors.length > 0))) fail(`is not valid JSON (${jsonError.message})`);
    all.forEach((doc, i) => {
      if (doc.errors.length > 0) fail(`YAML document ${i + 1}: ${doc.errors[0].split('\n')[0]}`);
      const value = doc.value();
      if (value !== null && value !== undefined) documents.push(value);
    });
  }
  const objects: KubeObject[] = [];
  const add = (value: unknown, where: string, listKind?: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => add(item, `${where} item ${i + 1}`, listKind));
      return;
    }
    if (!isRecord(value)) return fail(`${where} is not an object`);
    if (Array.isArray(value.items) && (value.kind === undefined || (typeof value.kind === 'string' && value.kind.endsWith('List')))) {
      const itemKind = typeof value.kind === 'string' && value.kind !== 'List' ? value.kind.slice(0, -'List'.length) : undefined;
      value.items.forEach((item, i) => add(isRecord(item) && item.kind === undefined && itemKind ? { ...item, kind: itemKind } : item, `${where} item ${i + 1}`));
      return;
    }
    if (typeof value.kind !== 'string' || value.kind === '') return fail(`${where} has no kind`);
    if (!isRecord(value.metadata) || typeof value.metadata.name !== 'string' || value.metadata.name === '') return fail(`${where} (${value.kind}) has no metadata.name`);
    objects.push(value as KubeObject);
  };
  documents.forEach((doc, i) => add(doc, documents.length > 1 ? `document ${i + 1}` : 'the document'));
  return objects;
}

/**
 * The entry key `<kind>/<namespace>/<name>` (cluster-scoped: `<kind>/_cluster/<name>`), through
 * safeKey. An object without a namespace is cluster-scoped when `clusterScoped` says its kind is,
 * and otherwise lives in `defaultNamespace` (for live objects pass undefined: the API server
 * always fills the namespace of namespaced objects).
 */
export function objectKey(object: KubeObject, clusterScoped: (kind: string) => boolean = () => true, defaultNamespace = DEFAULT_NAMESPACE): string {
  const namespace = object.metadata.namespace;
  const scope = typeof namespace === 'string' && namespace !== '' ? namespace : clusterScoped(object.kind) ? CLUSTER_SCOPE : defaultNamespace;
  return safeKey(`${object.kind}/${scope}/${object.metadata.name}`);
}

/**
 * The desired state of an object: without `status`, server-maintained metadata (managedFields,
 * resourceVersion, uid, generation, creation/deletion timestamps, selfLink), the last-applied and
 * deployment-revision annotations, and annotations/labels left empty; then normalised (sorted
 * keys, lists that Kubernetes merges by key sorted by that key, see list-keys.ts) with `ignore`
 * applied. The input is not modified.
 */
export function desiredState(object: KubeObject, ignore?: FieldMatcher): Json {
  const { status: _status, ...rest } = object;
  const metadata: Record<string, unknown> = { ...object.metadata };
  for (const field of SERVER_METADATA) delete metadata[field];
  if (isRecord(metadata.annotations)) {
    const annotations = { ...metadata.annotations };
    for (const name of TOOL_ANNOTATIONS) delete annotations[name];
    metadata.annotations = annotations;
  }
  for (const field of ['annotations', 'labels']) {
    const value = metadata[field];
    if (value === null || (isRecord(value) && Object.keys(value).length === 0)) delete metadata[field];
  }
  if (object.kind === 'Secret') {
    const secret = rest as Record<string, unknown>;
    const masked = maskSecretValues(object, secret.data, secret.stringData);
    delete secret.stringData;
    if (masked) secret.data = masked;
  }
  return sortKeyedLists(normalizeContent({ ...rest, metadata }, ignore));
}

/**
 * A Secret's values never reach the ledger: each becomes a digest salted with its name and the
 * key, enough to see that a value changed, never to store it. `stringData` (plain text, as
 * rendered manifests often write it) is merged into `data` (base64, as the API server returns
 * it) the way the API server does, so rendered and live Secrets compare equal when in sync.
 */
function maskSecretValues(object: KubeObject, data: unknown, stringData: unknown): Record<string, string> | undefined {
  if (!isRecord(data) && !isRecord(stringData)) return undefined;
  const plain = new Map<string, string>();
  // A null value is an empty one: the API server stores `key: null` as "" (and returns either).
  for (const [key, value] of Object.entries(isRecord(data) ? data : {})) plain.set(key, typeof value === 'string' ? Buffer.from(value, 'base64').toString('latin1') : value === null ? '' : JSON.stringify(value));
  for (const [key, value] of Object.entries(isRecord(stringData) ? stringData : {})) plain.set(key, Buffer.from(typeof value === 'string' ? value : value === null ? '' : JSON.stringify(value), 'utf8').toString('latin1'));
  const out: Record<string, string> = {};
  for (const [key, value] of plain) {
    const digest = createHash('sha256').update(`driftctl-secret\0${object.kind}\0${object.metadata.name}\0${key}\0`).update(value, 'latin1').digest('hex');
    Object.defineProperty(out, key, { value: `(secret, sha256 ${digest.slice(0, 16)})`, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The live object seen through the desired one: the live values at exactly the fields the desired
 * object sets (defaulted fields the desired object leaves out are not drift). Objects compare
 * field by field; lists Kubernetes merges by key (containers, env, ports, ...) item by key, other
 * arrays element by element, over the desired items (extra live items, such as injected sidecars
 * or env vars, are not compared; missing ones are left out, so they show as removed).
 * Where a value counts as equal the desired value is used, so `project(d, l)` deep-equals `d`
 * exactly when the live object is in sync: an empty object, empty array or null desired matches
 * an absent live field, and resource quantities compare by amount (`0.5` = "500m", `1` = "1").
 * A field absent live is absent from the result.
 */
export function project(desired: Json, live: Json | undefined, at: readonly string[] = []): Json | undefined {
  if (desired === null) return live === undefined || live === null ? null : live;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return (live === undefined || live === null) && desired.length === 0 ? desired : live;
    const out: Json[] = [];
    const wanted = kubernetesListItems(at, desired);
    const found = wanted && kubernetesListItems(at, live);
    if (wanted && found) {
      for (const [segment, item] of wanted) if (found.has(segment)) out.push(project(item, found.get(segment), [...at, segment]) as Json);
      return out;
    }
    for (let i = 0; i < desired.length && i < live.length; i++) out.push(project(desired[i], live[i], [...at, String(i)]) as Json);
    return out;
  }
  if (typeof desired === 'object') {
    if (!isRecord(live)) return (live === undefined || live === null) && Object.keys(desired).length === 0 ? desired : live;
    const out: { [key: string]: Json } = {};
    for (const [name, value] of Object.entries(desired)) {
      const projected = project(value, Object.hasOwn(live, name) ? (live[name] as Json) : undefined, [...at, name]);
      if (projected !== undefined) out[name] = projected;
    }
    return out;
  }
  if (live === undefined) return undefined;
  if (desired === live) return desired;
  if (isQuantityField(at) && sameQuantity(desired, live)) return desired;
  return live;
}

/** Fields holding resource quantities: container resources, quota `hard`, PV `capacity`, LimitRange `limits`, emptyDir `sizeLimit`. */
function isQuantityField(at: readonly string[]): boolean {
  return at.some((s) => s === 'resources' || s === 'hard' || s === 'capacity' || s === 'limits') || at[at.length - 1] === 'sizeLimit';
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

function quantity(value: Json): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[3] !== undefined ? 10 ** Number(m[3]) : SUFFIX[m[2] ?? '']);
}

function sameQuantity(a: Json, b: Json): boolean {
  const x = quantity(a);
  const y = quantity(b);
  if (x === undefined || y === undefined) return false;
  return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** Annotations that make a rendered object a hook (run by Helm or Argo CD around a release), not a live object. */
const HOOK_ANNOTATIONS = ['helm.sh/hook', 'argocd.argoproj.io/hook'];

/** True when the object is a Helm or Argo CD hook (a test pod, a pre-install job). */
export function isHook(object: KubeObject): boolean {
  const annotations = object.metadata.annotations;
  return isRecord(annotations) && HOOK_ANNOTATIONS.some((name) => typeof annotations[name] === 'string' && annotations[name] !== '');
}

/** The fields a previous apply set, as a tree: field name (or keyed list segment) → the fields below it. */
export type AppliedFields = Map<string, AppliedFields>;

function fieldsOfValue(value: Json, at: string[]): AppliedFields {
  const out: AppliedFields = new Map();
  if (Array.isArray(value)) {
    const items = kubernetesListItems(at, value);
    if (items) for (const [segment, item] of items) out.set(segment, fieldsOfValue(item, [...at, segment]));
  } else if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) out.set(name, fieldsOfValue(item, [...at, name]));
  }
  return out;
}

function fieldsOfManagedSet(set: unknown, at: string[], out: AppliedFields): void {
  if (!isRecord(set)) return;
  for (const [name, below] of Object.entries(set)) {
    let segment: string | undefined;
    if (name.startsWith('f:')) segment = name.slice(2);
    else if (name.startsWith('k:')) {
      try {
        segment = listItemSegment(at, JSON.parse(name.slice(2)) as Json);
      } catch {
        segment = undefined;
      }
    }
    if (segment === undefined) continue;
    const child = out.get(segment) ?? new Map();
    out.set(segment, child);
    fieldsOfManagedSet(below, [...at, segment], child);
  }
}

/**
 * What the live object records of its last apply: the fields of its
 * `kubectl.kubernetes.io/last-applied-configuration` annotation (client-side apply), or else the
 * union of its managedFields entries with operation "Apply" (server-side apply, by any manager or
 * by `manager` when given). Undefined when it records neither.
 */
export function appliedFields(live: KubeObject, manager?: string): AppliedFields | undefined {
  const annotations = live.metadata.annotations;
  const lastApplied = isRecord(annotations) ? annotations['kubectl.kubernetes.io/last-applied-configuration'] : undefined;
  if (typeof lastApplied === 'string') {
    try {
      const parsed = JSON.parse(lastApplied) as unknown;
      if (isRecord(parsed) && isRecord(parsed.metadata)) return fieldsOfValue(desiredState(parsed as KubeObject), []);
    } catch {
      // An unreadable annotation records nothing usable; fall through to managedFields.
    }
  }
  const managed = live.metadata.managedFields;
  if (!Array.isArray(managed)) return undefined;
  const applies = managed.filter((m) => isRecord(m) && m.operation === 'Apply' && (manager === undefined || m.manager === manager) && isRecord(m.fieldsV1));
  if (applies.length === 0) return undefined;
  const out: AppliedFields = new Map();
  for (const m of applies) fieldsOfManagedSet((m as Record<string, unknown>).fieldsV1, [], out);
  return out;
}

/** The parts of a live object value that an apply set (all of it for a leaf, list or scalar). */
function appliedPart(value: Json, applied: AppliedFields): Json {
  if (applied.size === 0 || !isRecord(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const [name, below] of applied) {
    if (Object.hasOwn(value, name)) Object.defineProperty(out, name, { value: appliedPart(value[name] as Json, below), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * `seen` (the live object projected onto `want`, see project) plus the live value of every field
 * that a previous apply set (`applied`), the desired object no longer sets, and the live object
 * still has: fields removed from the manifest that apply would prune. Such a field then differs
 * between want and the result. Modifies and returns `seen`.
 */
export function addPrunedFields(seen: Json, want: Json, applied: AppliedFields, live: Json, at: string[] = []): Json {
  if (Array.isArray(want) && Array.isArray(live) && Array.isArray(seen)) {
    const wanted = kubernetesListItems(at, want);
    const found = kubernetesListItems(at, live);
    const shown = kubernetesListItems(at, seen);
    if (!wanted || !found || !shown) return seen;
    for (const [segment, below] of applied) {
      const liveItem = found.get(segment);
      if (liveItem === undefined) continue;
      const wantItem = wanted.get(segment);
      if (wantItem === undefined) seen.push(liveItem);
      else if (below.size > 0 && shown.has(segment)) addPrunedFields(shown.get(segment) as Json, wantItem, below, liveItem, [...at, segment]);
    }
    return seen;
  }
  if (!isRecord(want) || !isRecord(live) || !isRecord(seen)) return seen;
  for (const [name, below] of applied) {
    if (!Object.hasOwn(live, name) || live[name] === null) continue;
    // The object's identity is never pruned (a manifest without a namespace is placed, not emptied).
    if (at.length === 1 && at[0] === 'metadata' && (name === 'name' || name === 'namespace')) continue;
    if (!Object.hasOwn(want, name)) {
      Object.defineProperty(seen, name, { value: appliedPart(live[name] as Json, below), enumerable: true, writable: true, configurable: true });
    } else if (below.size > 0 && Object.hasOwn(seen, name)) {
      addPrunedFields(seen[name] as Json, want[name] as Json, below, live[name] as Json, [...at, name]);
    }
  }
  return seen;
}
