import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProcessSpec, TerraformSourceConfig } from '../config/config.js';
import { normalizeContent, type Ignorer } from '../drift/fields.js';
import { valueEntry, type Json, type SourceManifest } from '../drift/manifest.js';
import { DriftError } from '../errors.js';
import { canonicalJson } from '../drift/canonical-json.js';
import { type SetPaths, setPathsFromSchema, sortSets } from '../drift/terraform-sets.js';
import { safeKey } from './keys.js';
import { runProcess, shellQuote } from './run-process.js';
import { wholeSource, type Source, type SourceContext, type SourceObservation } from './source.js';

/** Shown in place of a value Terraform marks sensitive; the value itself is never stored. */
export const SENSITIVE = '(sensitive)';
/** Shown in `after` for a sensitive value that differs from the sensitive value in `before`. */
export const SENSITIVE_CHANGED = '(sensitive, changed)';
/** Shown for a value Terraform marks unknown (`after_unknown`). */
export const KNOWN_AFTER_APPLY = '(known after apply)';

/** What to run to get the input this source reads; every "not a plan" message ends with it. */
const HOW_TO = 'run `terraform plan -refresh-only -out=drift.tfplan` then `terraform show -json drift.tfplan > plan.json`';

/**
 * Drift Terraform found during refresh, one `value` entry per resource instance address, from
 * `terraform show -json` of a plan (ideally a refresh-only plan). Input is `config.plan` (a file
 * of that JSON) or `config.process`: `argv` is the Terraform program and any global options placed
 * before the subcommand (["terraform"], ["tofu"], ["terraform", "-chdir=infra"]); the source runs
 * `<argv> plan -refresh-only -out=<tmp> -input=false -no-color`, then `<argv> show -json <tmp>`, in
 * `process.cwd`. The plan file (which holds secrets in clear) lives in a private temporary folder
 * removed afterwards; with a remote prefix (`exec`) both run in one remote shell that uses mktemp
 * and removes the file. With `shell: true`, argv[0] is a shell line the arguments are appended to.
 *
 * Entries (key: the address through safeKey, e.g. `module.vpc.aws_subnet.a[0]`; a deposed object
 * gets ` (deposed <id>)` appended) are pairs: `{ type, actions, before, after }` with
 * `pair: true`, where before/after are the attribute objects (null when absent) normalised with
 * the key's ignore_fields.
 * - `resource_drift` (what changed outside Terraform: before = prior state, after = refreshed)
 *   and `resource_changes` (planned actions) are merged by address: a drift record wins for
 *   `actions`, `before` and `after`, and the planned actions are added as `planned_actions` when
 *   they are not a no-op. A planned change without drift is an entry of its own.
 * - Records whose actions are ["no-op"] are not drift and give no entry; neither does an "update"
 *   whose before and after are equal once ignore_fields are applied. A moved resource (a record
 *   with `previous_address`) always gives an entry, at its new address, with `previous_address`
 *   in the content (actions ["move"] when nothing else changes).
 * - Data sources (mode "data") are skipped: they are re-read on every run and "read" is not a
 *   change to infrastructure. Output changes are not entries either (they follow from resources).
 * - Values marked in `before_sensitive`/`after_sensitive` become "(sensitive)" (in `after`,
 *   "(sensitive, changed)" when it differs from the sensitive value before); values marked in
 *   `after_unknown` become "(known after apply)". Sensitive marks win.
 *
 * A file that is not plan JSON (a binary plan, a state's JSON, an unsupported format_version, a
 * plan that errored) is SOURCE_FAILED with what to run instead.
 */
export function createTerraformSource(config: TerraformSourceConfig): Source {
  return wholeSource(config, 'terraform', async (context, ignorer) => {
    const { text, origin, schema } = config.plan !== undefined ? readPlanFile(config.name, config.plan) : await runTerraform(config, context);
    const schemaText = config.schema !== undefined ? readSchemaFile(config.name, config.schema) : schema;
    return planObservation(parsePlan(text, `source "${config.name}": ${origin}`), ignorer, schemaText !== undefined ? parseSchema(schemaText, `source "${config.name}": schema ${config.schema ?? '(providers schema -json)'}`) : undefined);
  });
}

/** The part of a plan's JSON this source reads. */
export interface TerraformPlan {
  resource_drift?: ResourceChange[];
  resource_changes?: ResourceChange[];
}

interface ResourceChange {
  address: string;
  /** Set when the resource was moved (a `moved` block or `terraform state mv`): its address before. */
  previous_address?: string;
  mode?: string;
  type?: string;
  deposed?: string;
  change: {
    actions: string[];
    before?: unknown;
    after?: unknown;
    after_unknown?: unknown;
    before_sensitive?: unknown;
    after_sensitive?: unknown;
  };
}

function sourceFailed(message: string): never {
  throw new DriftError('SOURCE_FAILED', message);
}

function readPlanFile(name: string, file: string): { text: string; origin: string; schema?: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return sourceFailed(`source "${name}": cannot read plan ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // A saved plan file is a zip archive: the user pointed at `-out=` instead of its JSON.
  if (bytes.subarray(0, 2).toString('latin1') === 'PK') sourceFailed(`source "${name}": plan ${file} is a binary plan file, not JSON: run \`terraform show -json ${path.basename(file)} > plan.json\` and point plan at plan.json`);
  return { text: bytes.toString('utf8'), origin: `plan ${file}` };
}

/**
 * Checks that `text` is `terraform show -json` of a plan and returns it. `what` starts every
 * message (`source "infra": plan /x/plan.json`).
 */
export function parsePlan(text: string, what: string): TerraformPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return sourceFailed(`${what} is not JSON (${(error as Error).message}): ${HOW_TO}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return sourceFailed(`${what} is not a Terraform JSON document: ${HOW_TO}`);
  const plan = doc as Record<string, unknown>;
  if (typeof plan.format_version !== 'string') return sourceFailed(`${what} has no format_version, so it is not \`terraform show -json\` output: ${HOW_TO}`);
  if (!plan.format_version.startsWith('1.')) return sourceFailed(`${what} has format_version ${plan.format_version}; only 1.x is supported`);
  const planKeys = ['resource_drift', 'resource_changes', 'planned_values', 'prior_state', 'output_changes'];
  if (!planKeys.some((k) => k in plan)) {
    const state = 'values' in plan || Object.keys(plan).every((k) => k === 'format_version' || k === 'terraform_version');
    return sourceFailed(state ? `${what} is the JSON of a Terraform state, not of a plan (drift needs a refresh): ${HOW_TO}` : `${what} is not the JSON of a Terraform plan: ${HOW_TO}`);
  }
  if (plan.errored === true) return sourceFailed(`${what}: the plan errored, so its drift is incomplete (run terraform plan to see why)`);
  for (const field of ['resource_drift', 'resource_changes'] as const) {
    const list = plan[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return sourceFailed(`${what}: ${field} is not an array`);
    list.forEach((item: unknown, i) => {
      const r = item as Partial<ResourceChange> | null;
      if (!r || typeof r.address !== 'string' || !r.change || !Array.isArray(r.change.actions)) sourceFailed(`${what}: ${field}[${i}] has no address or change.actions`);
    });
  }
  return plan as TerraformPlan;
}

function readSchemaFile(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return sourceFailed(`source "${name}": cannot read schema ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The set paths of `terraform providers schema -json` output; anything else is SOURCE_FAILED. */
export function parseSchema(text: string, what: string): SetPaths {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return sourceFailed(`${what} is not JSON (${(error as Error).message}): run \`terraform providers schema -json > schema.json\``);
  }
  if (doc === null || typeof doc !== 'object' || !('provider_schemas' in doc)) return sourceFailed(`${what} has no provider_schemas, so it is not \`terraform providers schema -json\` output`);
  return setPathsFromSchema(doc);
}

/**
 * Entries from a checked plan (see createTerraformSource for the rules). With `sets` (from the
 * provider schema), a resource type it knows gets `sets` in its content (the dotted set paths,
 * "*" for any element) and the elements of those sets sorted, so Terraform's set order is never
 * drift; reports then match set elements by value. Without it, reports match the elements of
 * every list by value.
 */
export function planObservation(plan: TerraformPlan, ignorer: Ignorer, sets?: SetPaths): SourceObservation {
  const byKey = new Map<string, { drift?: ResourceChange; planned?: ResourceChange }>();
  const note = (record: ResourceChange, role: 'drift' | 'planned'): void => {
    if (record.mode === 'data' || (isNoOp(record.change.actions) && typeof record.previous_address !== 'string')) return;
    const key = safeKey(record.deposed ? `${record.address} (deposed ${record.deposed})` : record.address);
    const slot = byKey.get(key) ?? {};
    slot[role] = record;
    byKey.set(key, slot);
  };
  for (const record of plan.resource_drift ?? []) note(record, 'drift');
  for (const record of plan.resource_changes ?? []) note(record, 'planned');

  const entries: SourceManifest = new Map();
  for (const key of [...byKey.keys()].sort()) {
    const { drift, planned } = byKey.get(key) as { drift?: ResourceChange; planned?: ResourceChange };
    const record = (drift ?? planned) as ResourceChange;
    const ignore = ignorer(key);
    const change = record.change;
    const moved = typeof record.previous_address === 'string' ? record.previous_address : typeof drift?.previous_address === 'string' ? drift.previous_address : planned?.previous_address;
    const actions = isNoOp(change.actions) ? ['move'] : change.actions.map(String);
    const rawBefore = change.before ?? null;
    const rawAfter = overlay(change.after ?? null, change.after_unknown, () => KNOWN_AFTER_APPLY, []);
    if (!moved && actions.length === 1 && actions[0] === 'update' && canonicalJson(normalizeContent(rawBefore, ignore)) === canonicalJson(normalizeContent(rawAfter, ignore))) continue;
    const before = overlay(rawBefore, change.before_sensitive, () => SENSITIVE, []);
    const after = overlay(rawAfter, change.after_sensitive, (value, at) => {
      const was = valueAt(rawBefore, at);
      return was === undefined || canonicalJson(normalizeContent(was)) === canonicalJson(normalizeContent(value ?? null)) ? SENSITIVE : SENSITIVE_CHANGED;
    }, []);
    const paths = record.type !== undefined ? sets?.get(record.type) : undefined;
    const bySet = (value: Json): Json => (paths ? sortSets(value, paths, canonicalJson) : value);
    const content: { [k: string]: Json } = {
      type: record.type ?? null,
      actions,
      before: bySet(normalizeContent(before, ignore)),
      after: bySet(normalizeContent(after, ignore)),
    };
    if (paths) content.sets = paths.map((p) => p.join('.'));
    if (drift && planned && !isNoOp(planned.change.actions)) content.planned_actions = planned.change.actions.map(String);
    if (moved) content.previous_address = moved;
    entries.set(key, valueEntry(content, { pair: true }));
  }
  return { entries, stats: { entries: entries.size, hashed: entries.size, reused: 0, errors: 0 } };
}

function isNoOp(actions: readonly string[]): boolean {
  return actions.length === 0 || (actions.length === 1 && actions[0] === 'no-op');
}

/**
 * `value` with every position that `marks` sets to true replaced by `replace(original, path)`.
 * Marks are value-shaped (Terraform's after_unknown, before_sensitive, after_sensitive): `true`
 * marks the value at that position (a whole object or list included), objects and arrays descend.
 * A marked attribute absent from an object is added (unknown values may be left out of `after`).
 */
function overlay(value: unknown, marks: unknown, replace: (original: unknown, at: string[]) => string, at: string[]): unknown {
  if (marks === true) return replace(value, at);
  if (marks === null || typeof marks !== 'object') return value;
  if (Array.isArray(marks)) {
    if (!Array.isArray(value)) return value;
    return value.map((item, i) => overlay(item, marks[i], replace, [...at, String(i)]));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, mark] of Object.entries(marks as Record<string, unknown>)) {
    if (mark === false || mark === null || mark === undefined) continue;
    const next = overlay(Object.hasOwn(out, name) ? out[name] : undefined, mark, replace, [...at, name]);
    if (next !== undefined) out[name] = next;
  }
  return out;
}

function valueAt(value: unknown, at: readonly string[]): unknown {
  let current = value;
  for (const segment of at) {
    if (current === null || typeof current !== 'object') return undefined;
    const holder = current as Record<string, unknown>;
    if (!Object.hasOwn(holder, segment)) return undefined;
    current = holder[segment];
  }
  return current;
}

async function runTerraform(config: TerraformSourceConfig, context: SourceContext): Promise<{ text: string; origin: string; schema?: string }> {
  const spec = config.process;
  if (!spec) return sourceFailed(`source "${config.name}": neither plan nor process is set`);
  const what = `source "${config.name}"`;
  const program = spec.shell ? spec.argv[0] : spec.argv.join(' ');
  const origin = `output of \`${program} show -json\``;
  if (spec.exec.length > 0) {
    // Remote: the plan file must live on the remote side, so both steps run in one remote shell.
    const tf = spec.shell ? spec.argv[0] : spec.argv.map(shellQuote).join(' ');
    const script = `f=$(mktemp) || exit 1; ${tf} plan -refresh-only -out="$f" -input=false -no-color >&2 && ${tf} show -json "$f"; rc=$?; rm -f "$f"; exit $rc`;
    const stdout = await runProcess({ ...spec, shell: true, argv: [script] }, `${what}: ${program} plan -refresh-only / show -json`, context.env);
    return { text: stdout.toString('utf8'), origin };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'driftctl-tfplan-'));
  const planFile = path.join(dir, 'drift.tfplan');
  try {
    await runProcess(withArgs(spec, ['plan', '-refresh-only', `-out=${planFile}`, '-input=false', '-no-color']), `${what}: ${program} plan -refresh-only`, context.env);
    const stdout = await runProcess(withArgs(spec, ['show', '-json', planFile]), `${what}: ${program} show -json`, context.env);
    // The provider schema says which attributes are sets; without it (a failing command) every list is matched by value.
    let schema: string | undefined;
    if (config.schema === undefined) {
      try {
        schema = (await runProcess(withArgs(spec, ['providers', 'schema', '-json']), `${what}: ${program} providers schema -json`, context.env)).toString('utf8');
      } catch {
        schema = undefined;
      }
    }
    return { text: stdout.toString('utf8'), origin, ...(schema !== undefined ? { schema } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withArgs(spec: ProcessSpec, args: string[]): ProcessSpec {
  return spec.shell ? { ...spec, argv: [`${spec.argv[0]} ${args.map(shellQuote).join(' ')}`] } : { ...spec, argv: [...spec.argv, ...args] };
}
