import type { ChangeKind, Severity, SeverityConfig } from '../config/config.js';
import { createKeyMatcher } from '../match/glob.js';

export interface Classification {
  severity: Severity;
  /** The deciding rule's id, or "default". */
  rule: string;
}

export type Classifier = (change: { target: string; source: string; key: string; change: ChangeKind }) => Classification;

/** Severity rules in order; the first rule whose every condition holds decides. */
export function createClassifier(config: SeverityConfig): Classifier {
  const rules = config.rules.map((rule) => ({ rule, matches: createKeyMatcher(rule.match) }));
  return ({ target, source, key, change }) => {
    for (const { rule, matches } of rules) {
      if (rule.target !== undefined && rule.target !== target) continue;
      if (rule.source !== undefined && rule.source !== source) continue;
      if (rule.change !== undefined && !rule.change.includes(change)) continue;
      if (!matches(key)) continue;
      return { severity: rule.severity, rule: rule.id };
    }
    return { severity: config.default, rule: 'default' };
  };
}
