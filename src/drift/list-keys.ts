import type { Json } from './manifest.js';

/**
 * Lists that Kubernetes merges by key (the `patchMergeKey` / `x-kubernetes-list-map-keys` markers
 * of the built-in API types), matched by that key instead of by position: a reordered list is the
 * same list, and an item is named by its key in field paths (`env[name=VAR1].value`).
 *
 * A keyed item's path segment is `[f=v]` or `[f1=v1,f2=v2]` (brackets included), which
 * displayPath shows as is and field patterns write the same way (`containers[name=web].image`).
 */

/** List field name → its key fields. `ports` depends on the items (container ports or service ports). */
const BY_FIELD: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  resourceClaims: ['name'],
  schedulingGates: ['name'],
  webhooks: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  hostAliases: ['ip'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  // No merge key upstream (atomic): matched as a set, by every identifying field.
  tolerations: ['key', 'operator', 'value', 'effect', 'tolerationSeconds'],
};

/** Defaults the API server fills in key fields, so a manifest that leaves them out still matches. */
const KEY_DEFAULTS: Record<string, string> = { protocol: 'TCP' };

/** Lists whose order means something (init containers run in sequence): matched by key, never re-sorted. */
const ORDERED = new Set(['initContainers']);

function isRecord(value: Json | undefined): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The list field's name: the last segment of the list's own path. */
function fieldName(path: readonly string[]): string | undefined {
  return path[path.length - 1];
}

function keyFields(name: string | undefined, items: readonly Json[]): readonly string[] | undefined {
  if (name === undefined) return undefined;
  if (name === 'ports') {
    if (items.every((item) => isRecord(item) && item.containerPort !== undefined)) return ['containerPort', 'protocol'];
    if (items.every((item) => isRecord(item) && item.port !== undefined)) return ['port', 'protocol'];
    return undefined;
  }
  return Object.hasOwn(BY_FIELD, name) ? BY_FIELD[name] : undefined;
}

function itemSegment(item: Json, fields: readonly string[]): string | undefined {
  if (!isRecord(item)) return undefined;
  const parts: string[] = [];
  for (const field of fields) {
    const value = Object.hasOwn(item, field) ? item[field] : KEY_DEFAULTS[field];
    if (value === undefined || value === null) continue;
    if (typeof value === 'object') return undefined;
    parts.push(`${field}=${String(value)}`);
  }
  // The first key field is required (a list-map key must be present), except for set-like lists.
  if (parts.length === 0 || (fields[0] !== 'key' && !parts[0].startsWith(`${fields[0]}=`))) return undefined;
  return `[${parts.join(',')}]`;
}

/**
 * The items of a Kubernetes list at `path` by their key segment, in list order; undefined when the
 * list is not keyed, or some item has no key or shares one (then it is compared by position).
 */
export function kubernetesListItems(path: readonly string[], items: readonly Json[]): Map<string, Json> | undefined {
  const fields = keyFields(fieldName(path), items);
  if (!fields) return undefined;
  const out = new Map<string, Json>();
  for (const item of items) {
    const segment = itemSegment(item, fields);
    if (segment === undefined || out.has(segment)) return undefined;
    out.set(segment, item);
  }
  return out;
}

/** The key segment of one item of the list at `path` (a managedFields `k:` key), or undefined. */
export function listItemSegment(path: readonly string[], item: Json): string | undefined {
  const fields = keyFields(fieldName(path), [item]);
  return fields ? itemSegment(item, fields) : undefined;
}

/**
 * Sorts every keyed list inside `value` by its key, in place (except lists whose order matters),
 * so that a reordered list has the same content and hash; returns `value`. Only for values the
 * caller owns (fresh normalised content).
 */
export function sortKeyedLists(value: Json, path: string[] = []): Json {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object') {
        path.push(String(i));
        sortKeyedLists(item, path);
        path.pop();
      }
    }
    if (ORDERED.has(path[path.length - 1] ?? '')) return value;
    const keyed = kubernetesListItems(path, value);
    if (!keyed) return value;
    const sorted = [...keyed.keys()].sort().map((segment) => keyed.get(segment) as Json);
    for (let i = 0; i < sorted.length; i++) value[i] = sorted[i];
    return value;
  }
  if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== null && typeof item === 'object') {
        path.push(key);
        sortKeyedLists(item, path);
        path.pop();
      }
    }
  }
  return value;
}

/** True when a value looks like a Kubernetes object (apiVersion, kind and metadata). */
export function isKubernetesObject(value: Json | undefined): boolean {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && isRecord(value.metadata);
}
