import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeRepo, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, manifestEntries, oneJson } from '../helpers/e2e.js';

/**
 * Seed 004's agent (thresholds on host metrics) as a source: breaches are entries of an
 * observed-only source, recorded only while they last, never baselined, opening an alert with the
 * threshold's severity and resolving it when the value recovers. Readings are injected through
 * the source's readings file; the clock through DRIFTCTL_NOW.
 */
const CONFIG = `version: 1
sources:
  - kind: files
    watch: ["app/**"]
  - kind: metrics
    name: host
    readings: readings.json
    thresholds:
      - "cpu_percent > 80 for 5m"
      - { when: "disk_percent >= 90", severity: critical }
alerts:
  channels:
    - kind: file
      path: alerts.jsonl
`;

const T0 = Date.parse('2026-03-01T06:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

async function checkAt(repo: TempRepo, minutes: number, readings: object, code: number, args: string[] = ['check']): Promise<any> {
  repo.write('readings.json', JSON.stringify(readings));
  const run = await cli(repo.dir, [...args, '--json'], { DRIFTCTL_NOW: at(minutes) });
  expectCode(run, code, `${args[0]} at +${minutes}m`);
  return oneJson(run);
}

test(
  'a breach is drift while it lasts (after its "for" duration), with the threshold severity; recovery clears it',
  inRepo(
    () => makeRepo({ 'driftctl.yml': CONFIG, 'app/main.py': 'print(1)\n' }),
    async (repo) => {
      await checkAt(repo, 0, { cpu_percent: 50, disk_percent: 40 }, 0, ['init']);
      assert.equal([...manifestEntries(repo, 'baseline').keys()], ['files:app/main.py'], 'no breach, nothing recorded for the metrics source');
      let result = await checkAt(repo, 1, { cpu_percent: 95, disk_percent: 40 }, 0);
      assert.is(result.reports[0].status, 'clean', 'cpu high for 0 of 5 minutes: not yet a breach');
      result = await checkAt(repo, 4, { cpu_percent: 97, disk_percent: 40 }, 0);
      result = await checkAt(repo, 7, { cpu_percent: 96, disk_percent: 93 }, 2);
      const changes = result.reports[0].changes;
      assert.equal(
        changes.map((c: any) => [c.source, c.key, c.change, c.severity, c.rule]),
        [
          ['host', 'disk_percent >= 90', 'added', 'critical', 'disk_percent >= 90'],
          ['host', 'cpu_percent > 80 for 5m', 'added', 'high', 'cpu_percent > 80 for 5m'],
        ],
      );
      assert.equal(changes.map((c: any) => c.after.reading), [93, 96], 'the observed values are shown');
      assert.equal(result.alerts[0].opened, 1);
      const latest = manifestEntries(repo, 'latest');
      assert.equal(latest.get('host:cpu_percent > 80 for 5m').content, { for: '5m', metric: 'cpu_percent', op: '>', since: at(1), threshold: 80 });

      // Accepting never makes a breach part of the baseline.
      const accept = await cli(repo.dir, ['accept', '--all', '--reason', 'try', '--json'], { DRIFTCTL_NOW: at(7.5) });
      assert.ok(accept.code === 0 || accept.code === 1, accept.stderr);
      assert.equal([...manifestEntries(repo, 'baseline').keys()], ['files:app/main.py']);

      // Still breaching with another value: the same drift, no new notification.
      result = await checkAt(repo, 8, { cpu_percent: 99, disk_percent: 94 }, 2);
      assert.is(result.reports[0].summary.total, 2);
      assert.equal([result.alerts[0].opened, result.alerts[0].updated], [0, 0]);

      result = await checkAt(repo, 9, { cpu_percent: 40, disk_percent: 50 }, 0);
      assert.is(result.reports[0].status, 'clean');
      assert.is(result.alerts[0].resolved, 1);
      assert.equal([...manifestEntries(repo, 'latest').keys()], ['files:app/main.py'], 'recovered: no breach recorded');
      // Reports with observed-only sources recompute byte for byte.
      const verify = await cli(repo.dir, ['verify', '--json']);
      expectCode(verify, 0, `verify: ${verify.stdout}`);
    },
  ),
);

test(
  'a breach at init is recorded in the snapshot but not in the baseline',
  inRepo(
    () => makeRepo({ 'driftctl.yml': CONFIG, 'app/main.py': 'print(1)\n' }),
    async (repo) => {
      await checkAt(repo, 0, { cpu_percent: 10, disk_percent: 97 }, 0, ['init']);
      assert.equal([...manifestEntries(repo, 'baseline').keys()], ['files:app/main.py']);
      assert.equal([...manifestEntries(repo, 'latest').keys()].sort(), ['files:app/main.py', 'host:disk_percent >= 90']);
      const result = await checkAt(repo, 1, { cpu_percent: 10, disk_percent: 97 }, 2);
      assert.equal(result.reports[0].changes.map((c: any) => [c.key, c.change, c.severity]), [['disk_percent >= 90', 'added', 'critical']]);
    },
  ),
);

test(
  'auto-accept policies never accept a breach',
  inRepo(
    () => makeRepo({ 'driftctl.yml': `${CONFIG}policies:\n  - name: lab\n    auto_accept: { max_severity: critical }\n`, 'app/main.py': 'print(1)\n' }),
    async (repo) => {
      await checkAt(repo, 0, { cpu_percent: 10, disk_percent: 10 }, 0, ['init']);
      repo.write('app/main.py', 'print(2)\n');
      const result = await checkAt(repo, 1, { cpu_percent: 10, disk_percent: 99 }, 2);
      assert.equal(result.autoAccepted.map((a: any) => [a.status, a.reason]), [['declined', '1 metrics breach (observed values are never accepted)']]);
      const recovered = await checkAt(repo, 2, { cpu_percent: 10, disk_percent: 10 }, 0);
      assert.equal(recovered.autoAccepted.map((a: any) => a.status), ['accepted'], 'the file change alone is accepted');
    },
  ),
);

test(
  'a bad threshold is a config error naming the field and the expected form',
  inRepo(
    () => makeRepo({ 'driftctl.yml': 'version: 1\nsources:\n  - kind: metrics\n    thresholds: ["cpu > 80"]\n' }),
    async (repo) => {
      const run = await cli(repo.dir, ['check']);
      expectCode(run, 1, 'bad threshold');
      assert.match(run.stderr, /driftctl\.yml:4: sources\[0\]\.thresholds\[0\]: threshold "cpu > 80": .*expected "<metric> <op> <number> \[for <duration>\]"/);
    },
  ),
);

test.run();
