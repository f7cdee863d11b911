import type { ChangeKind, Severity, SeverityConfig } from './severity-levels.js';
import { createKeyMatcher } from '../match/glob.js';
import { fieldSeparator, fromPointer, parseFieldPattern, segmentGlob } from '../match/field-pattern.js';

export interface Classification {
  severity: Severity;
  /** The deciding rule's id, or "default" (or the source's own rule, e.g. a metrics threshold). */
  rule: string;
}

export interface ClassifyInput {
  target: string;
  source: string;
  key: string;
  change: ChangeKind;
  /**
   * JSON Pointers of the fields that changed, for structured entries ("" for the whole value);
   * undefined for entries without structure, which field rules never match.
   */
  fields?: readonly string[];
  /** A severity the source decided itself (metrics thresholds), used when no rule matches. */
  declared?: Classification;
  /** The entry's resource type (Terraform resource type, Kubernetes kind), for rules with `type`. */
  type?: string;
}

export interface FieldClassification extends Classification {
  path: string;
}

/** The change's classification (the most severe of its fields') and, when fields were given, each field's. */
export interface ChangeClassification extends Classification {
  fields?: FieldClassification[];
}

export type Classifier = (input: ClassifyInput) => ChangeClassification;

/**
 * Severity rules in order; the first rule whose every condition holds decides. A rule's `match`
 * globs name entry keys; a glob written `KEY#FIELD` (for example `config/models.yaml#/models/* /name`
 * without the space, or `config/*.yaml#replicas`) names fields inside structured entries, in
 * JSON Pointer or dotted form. Each changed field is classified on its own (key rules apply to
 * all of an entry's fields) and the change takes its most severe field's severity and rule.
 */
export function createClassifier(config: SeverityConfig): Classifier {
  const rules = config.rules.map((rule) => {
    const keyGlobs: string[] = [];
    const fieldGlobs: { key: (key: string) => boolean; field: string[] }[] = [];
    for (const pattern of rule.match) {
      const hash = fieldSeparator(pattern);
      if (hash < 0) keyGlobs.push(pattern);
      else fieldGlobs.push({ key: createKeyMatcher([pattern.slice(0, hash) || '**']), field: parseFieldPattern(pattern.slice(hash + 1)) });
    }
    const types = rule.type?.map(segmentGlob);
    return { rule, matchesKey: createKeyMatcher(keyGlobs), fieldGlobs, types };
  });
  const fallback = (declared: Classification | undefined): Classification => declared ?? { severity: config.default, rule: 'default' };
  return ({ target, source, key, change, fields, declared, type }) => {
    const applicable = rules.filter(
      ({ rule, types }) =>
        (rule.target === undefined || rule.target === target) &&
        (rule.source === undefined || rule.source === source) &&
        (rule.change === undefined || rule.change.includes(change)) &&
        (types === undefined || (type !== undefined && types.some((matches) => matches(type)))),
    );
    const decide = (path: string[] | undefined): Classification => {
      for (const { rule, matchesKey, fieldGlobs } of applicable) {
        if (matchesKey(key)) return { severity: rule.severity, rule: rule.id };
        if (path !== undefined && fieldGlobs.some((g) => g.key(key) && overlaps(g.field, path))) return { severity: rule.severity, rule: rule.id };
      }
      return fallback(declared);
    };
    if (fields === undefined || fields.length === 0) return decide(undefined);
    const classified = fields.map((pointer) => ({ path: pointer, ...decide(fromPointer(pointer)) }));
    let worst = classified[0];
    for (const field of classified) if (rank(field.severity) < rank(worst.severity)) worst = field;
    return { severity: worst.severity, rule: worst.rule, fields: classified };
  };
}

const ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
function rank(severity: Severity): number {
  return ORDER.indexOf(severity);
}

/**
 * Whether a field pattern and a changed path overlap: the pattern names the path, something below
 * it (the path is a changed ancestor, e.g. a whole object added), or something above it.
 */
export function overlaps(pattern: readonly string[], path: readonly string[], pi = 0, qi = 0): boolean {
  if (pi === pattern.length || qi === path.length) return true;
  const segment = pattern[pi];
  if (segment === '**') {
    for (let k = qi; k <= path.length; k++) if (overlaps(pattern, path, pi + 1, k)) return true;
    return false;
  }
  if (!segmentMatches(segment, path[qi])) return false;
  return overlaps(pattern, path, pi + 1, qi + 1);
}

const segmentCache = new Map<string, (segment: string) => boolean>();
function segmentMatches(pattern: string, segment: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === segment;
  let match = segmentCache.get(pattern);
  if (!match) {
    match = segmentGlob(pattern);
    segmentCache.set(pattern, match);
  }
  return match(segment);
}
