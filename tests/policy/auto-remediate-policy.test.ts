import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PolicyConfig, TargetConfig } from '../../src/config/config.js';
import type { Change } from '../../src/drift/report.js';
import { decideAutoRemediate } from '../../src/policy/auto-remediate-policy.js';
import { mask } from '../../src/remediate/run-remediation.js';

const target = (labels: Record<string, string>): TargetConfig => ({ name: 't', enabled: true, labels, sources: [], remediate: { argv: ['true'], shell: false, cwd: '/', timeoutMs: 1000, env: [], exec: [] } });
const policy: PolicyConfig = { name: 'heal', remediate: { maxSeverity: 'medium', maxAttempts: 2 }, includeProduction: false };
const drift = (severity: Change['severity']): Change[] => [{ source: 'f', key: 'k', change: 'changed', severity, rule: 'default' }];

test('runs within max_severity on a non-production target that declares remediate:', () => {
  assert.equal(decideAutoRemediate([policy], target({ env: 'dev' }), drift('low'), 0, true), { run: true, policy });
  assert.is(decideAutoRemediate([policy], target({ env: 'dev' }), [], 0, true), null, 'nothing to remediate');
  assert.is(decideAutoRemediate([{ ...policy, remediate: undefined, autoAccept: { maxSeverity: 'low' } }], target({}), drift('low'), 0, true), null, 'an accept-only policy never remediates');
});

test('declines production (unless include_production), severities above the limit, exhausted attempts, and targets without a command', () => {
  const why = (d: ReturnType<typeof decideAutoRemediate>): string => (d && !d.run ? d.why : 'ran');
  assert.match(why(decideAutoRemediate([policy], target({ env: 'Production' }), drift('low'), 0, true)), /production target/);
  assert.equal(decideAutoRemediate([{ ...policy, includeProduction: true }], target({ env: 'prod' }), drift('low'), 0, true)?.run, true);
  assert.match(why(decideAutoRemediate([policy], target({}), drift('high'), 0, true)), /1 change above medium/);
  assert.match(why(decideAutoRemediate([policy], target({}), drift('low'), 2, true)), /already failed 2 times \(max_attempts 2\)/);
  assert.match(why(decideAutoRemediate([policy], target({}), drift('low'), 0, false)), /declare a remediate: command/);
  assert.is(decideAutoRemediate([{ ...policy, remediate: { maxSeverity: 'low', maxAttempts: 1, labels: { tier: 'web' } } }], target({}), drift('low'), 0, true), null, 'remediate.labels must match');
});

test('mask replaces every secret value, longest first', () => {
  assert.is(mask('token abc123 and abc123x, abc', ['abc123', 'abc123x']), 'token *** and ***, abc');
});

test.run();
