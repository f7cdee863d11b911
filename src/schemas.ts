import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { writeFileAtomic } from './write-atomic.js';
import { packageFile } from './package-root.js';

/**
 * The JSON Schemas in `schemas/` are the contract for the config file and for every ledger record.
 * This module compiles them once per process (lazily) and turns ajv's errors into readable issues.
 *
 * Compiling a schema costs 50-200 ms (the config schema the most), on every command. So each
 * compiled validator is also kept as ajv "standalone" code in a cache beside the compiled sources
 * (dist/.validator-cache/, filled by `npm run build` so an installed package ships them), named by a hash of the schema text, the ajv version and the options:
 * later runs load it in a few milliseconds without loading ajv's compiler at all. An unwritable
 * or damaged cache only means compiling again.
 */
export type SchemaName = 'check-output' | 'config' | 'inventory' | 'ledger' | 'head' | 'snapshot' | 'report' | 'accept' | 'shard' | 'alerts' | 'alert' | 'outbox' | 'dead' | 'chain' | 'heartbeat' | 'waiver' | 'waivers' | 'remediation' | 'remediations' | 'restore';

const require = createRequire(import.meta.url);
/** The pattern of `$defs/name` in config.schema.json (target, source, pack, channel names). */
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true } as const;
const CACHE_DIR = fileURLToPath(packageFile('dist/.validator-cache/'));

const compiled = new Map<SchemaName, ValidateFunction>();
let ajv: Ajv2020 | undefined;

export function schemaUrl(name: SchemaName): URL {
  return packageFile(`schemas/${name}.schema.json`);
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    const text = readFileSync(schemaUrl(name), 'utf8');
    const cacheFile = `${CACHE_DIR}${name}-${cacheKey(text)}.cjs`;
    validate = loadCached(cacheFile) ?? compileAndCache(text, cacheFile);
    compiled.set(name, validate);
  }
  return validate;
}

function cacheKey(schemaText: string): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  return createHash('sha256').update(`${ajvVersion}\0${JSON.stringify(AJV_OPTIONS)}\0${schemaText}`).digest('hex').slice(0, 32);
}

function loadCached(file: string): ValidateFunction | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const module = { exports: {} as { default?: unknown } };
    new Function('require', 'module', 'exports', source)(require, module, module.exports);
    const validate = (module.exports.default ?? module.exports) as unknown;
    return typeof validate === 'function' ? (validate as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}

function compileAndCache(schemaText: string, file: string): ValidateFunction {
  // ajv is CommonJS: required on demand, so a run that finds every validator cached never loads it.
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  ajv ??= new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const validate = ajv.compile(JSON.parse(schemaText) as object);
  try {
    const standaloneCode = (require('ajv/dist/standalone/index.js') as { default: (ajv: Ajv2020, v: ValidateFunction) => string }).default;
    const source = standaloneCode(ajv, validate);
    writeFileAtomic(file, source);
    // Older versions of this schema's validator are dead weight.
    const prefix = `${basename(file).split('-')[0]}-`;
    for (const old of readdirSync(CACHE_DIR)) if (old.startsWith(prefix) && old.endsWith('.cjs') && old !== basename(file)) rmSync(join(CACHE_DIR, old), { force: true });
  } catch {
    // Read-only install or a schema standalone code cannot express: compile again next time.
  }
  return validate;
}

export interface SchemaIssue {
  /** Dotted path to the offending field, for example `sources[0].watch`; empty for the root. */
  path: string;
  /** The same location as a JSON Pointer-ish array, for looking up source positions. */
  segments: (string | number)[];
  message: string;
}

/** Validates `value`; returns every issue found (empty when valid). */
export function validateAgainst(name: SchemaName, value: unknown): SchemaIssue[] {
  const validate = validatorFor(name);
  if (validate(value)) return [];
  return describeErrors(validate.errors ?? [], value);
}

function describeErrors(errors: ErrorObject[], root: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  // oneOf/if/then produce wrapper errors that only repeat their branches; keep the specific ones.
  const specific = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf' && e.keyword !== 'allOf');
  const byPath = new Map<string, ErrorObject[]>();
  for (const error of specific) {
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }
  for (const [instancePath, list] of byPath) {
    // A oneOf of "string or array" fails with one type error per branch: report them as one.
    const typeErrors = list.filter((e) => e.keyword === 'type');
    const rest = list.filter((e) => e.keyword !== 'type');
    const candidates = rest.length > 0 ? rest : typeErrors.length > 0 ? [mergeTypeErrors(typeErrors)] : [];
    for (const error of candidates) {
      let segments = pointerSegments(instancePath);
      let message: string;
      const params = error.params as Record<string, unknown>;
      switch (error.keyword) {
        case 'required':
          segments = [...segments, String(params.missingProperty)];
          message = 'is required';
          break;
        case 'additionalProperties':
          segments = [...segments, String(params.additionalProperty)];
          message = `is not a known field${knownFieldsHint(error)}`;
          break;
        case 'enum':
          message = `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')} (got ${show(valueAt(root, segments))})`;
          break;
        case 'const':
          message = `must be ${JSON.stringify(params.allowedValue)} (got ${show(valueAt(root, segments))})`;
          break;
        case 'type':
          message = `must be ${String(params.type).replace(/,/g, ' or ')} (got ${typeName(valueAt(root, segments))})`;
          break;
        case 'pattern':
          message =
            params.pattern === NAME_PATTERN
              ? `${show(valueAt(root, segments))} is not a valid name (1 to 64 characters: letters, digits, ".", "_" and "-", starting with a letter or digit)`
              : `${show(valueAt(root, segments))} is not allowed here (must match ${String(params.pattern)})`;
          break;
        case 'minItems':
          message = `must have at least ${String(params.limit)} item(s)`;
          break;
        case 'minLength':
          message = 'must not be empty';
          break;
        default:
          message = error.message ?? 'is invalid';
      }
      const path = formatPath(segments);
      const dedupe = `${path}\u0000${message}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      issues.push({ path, segments, message });
    }
  }
  return issues;
}

function mergeTypeErrors(errors: ErrorObject[]): ErrorObject {
  const types = [...new Set(errors.map((e) => String((e.params as { type: string }).type)))];
  return { ...errors[0], params: { type: types.join(',') } };
}

function knownFieldsHint(error: ErrorObject): string {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!properties) return '';
  return ` (known: ${Object.keys(properties).join(', ')})`;
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
