import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, seedProject, type TempRepo } from '../helpers/repo.js';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';

/** History queries: log filters and paging, show, blame, and dated ledger points, over a ledger built at fixed times. */
async function history(): Promise<TempRepo> {
  const repo = seedProject();
  const at = (t: string) => ({ DRIFTCTL_NOW: t });
  expectCode(await cli(repo.dir, ['init'], at('2026-03-01T08:00:00.000Z')), 0, 'init');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-01T09:00:00.000Z')), 0, 'check clean');
  repo.write('prompts/system.txt', 'You are terse.\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-02T09:00:00.000Z')), 2, 'check prompt');
  repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-03T09:00:00.000Z')), 2, 'check config');
  expectCode(await cli(repo.dir, ['accept', 'prompts/system.txt', '--reason', 'terse prompt approved'], at('2026-03-03T10:00:00.000Z')), 0, 'accept');
  repo.write('prompts/system.txt', 'You are very terse.\n');
  expectCode(await cli(repo.dir, ['check'], at('2026-03-04T09:00:00.000Z')), 2, 'check prompt again');
  return repo;
}

async function logJson(repo: TempRepo, args: string[]): Promise<{ entries: { kind: string; time: string; status: string | null; severity: string | null; keys?: string[]; record: string }[]; more: boolean; page: number }> {
  const run = await cli(repo.dir, ['log', '--json', ...args], { DRIFTCTL_NOW: '2026-03-05T00:00:00.000Z' });
  expectCode(run, 0, `log ${args.join(' ')}`);
  return oneJson(run);
}

test(
  'log filters by kind, status, severity, key glob and time window, and pages',
  inRepo(history, async (repo) => {
    const reports = await logJson(repo, ['--kind', 'report']);
    assert.equal(reports.entries.map((e) => e.status), ['drift', 'drift', 'drift', 'clean']);
    assert.is((await logJson(repo, ['--status', 'clean'])).entries.length, 1);
    const high = await logJson(repo, ['--kind', 'report', '--severity', 'high']);
    assert.equal(high.entries.map((e) => e.time), ['2026-03-04T09:00:00.000Z', '2026-03-03T09:00:00.000Z']);
    const medium = await logJson(repo, ['--kind', 'report', '--severity', 'medium']);
    assert.is(medium.entries.length, 3, 'at least medium includes high');
    const byKey = await logJson(repo, ['--key', 'config/*.yaml']);
    // Newest first: alert events and reports naming the key, and the snapshots where it changed
    // (including the first, where it was seen for the first time). The accept of the prompt does
    // not touch it, but the alert update that accept caused still lists it.
    assert.equal(byKey.entries.map((e) => `${e.kind}@${e.time.slice(0, 13)}`), [
      'alert@2026-03-04T09',
      'report@2026-03-04T09',
      'alert@2026-03-03T10',
      'alert@2026-03-03T09',
      'report@2026-03-03T09',
      'snapshot@2026-03-03T09',
      'snapshot@2026-03-01T08',
    ]);
    assert.equal(byKey.entries[1].keys, ['config/models.yaml']);
    const prompts = await logJson(repo, ['--key', 'prompts/system.txt', '--kind', 'accept']);
    assert.is(prompts.entries.length, 1);
    const window = await logJson(repo, ['--since', '2026-03-02', '--until', '2026-03-03', '--kind', 'report']);
    assert.equal(window.entries.map((e) => e.time), ['2026-03-03T09:00:00.000Z', '2026-03-02T09:00:00.000Z']);
    const relative = await logJson(repo, ['--since', '36h', '--kind', 'report']);
    assert.equal(relative.entries.map((e) => e.time), ['2026-03-04T09:00:00.000Z']);
    const page1 = await logJson(repo, ['--limit', '3']);
    const page2 = await logJson(repo, ['--limit', '3', '--page', '2']);
    assert.ok(page1.more);
    assert.is(page2.page, 2);
    const all = await logJson(repo, ['--limit', '100']);
    assert.equal([...page1.entries, ...page2.entries].map((e) => e.record), all.entries.slice(0, 6).map((e) => e.record));
    const bad = await cli(repo.dir, ['log', '--since', 'yesterday']);
    expectCode(bad, 1, 'bad --since');
    assert.match(bad.stderr, /--since: "yesterday" is not a date, time or duration/);
  }),
);

test(
  'show gives a record with its context, and a commit with its records',
  inRepo(history, async (repo) => {
    const [report] = (await logJson(repo, ['--kind', 'report', '--limit', '1'])).entries;
    const run = await cli(repo.dir, ['show', report.record, '--json']);
    expectCode(run, 0, 'show record');
    const shown = oneJson(run);
    assert.is(shown.records[0].kind, 'report');
    assert.is(shown.commit.kind, 'report');
    assert.is(shown.context.snapshot.id, shown.records[0].record.snapshot.id, 'the snapshot it compared');
    const [accept] = (await logJson(repo, ['--kind', 'accept', '--limit', '1'])).entries as unknown as { commit: string }[];
    const byCommit = oneJson(await cli(repo.dir, ['show', accept.commit.slice(0, 10), '--json']));
    assert.is(byCommit.records[0].kind, 'accept');
    assert.is(byCommit.records[0].record.reason, 'terse prompt approved');
    assert.ok(byCommit.context.baselineBefore !== byCommit.context.baselineAfter);
    const human = await cli(repo.dir, ['show', report.record]);
    assert.match(human.stdout, /report .* \(targets\/default\/records\/2026\/03\/04\//);
    assert.match(human.stdout, /config\/models\.yaml/);
    expectCode(await cli(repo.dir, ['show', '20990101T000000000Z-abcdef']), 1, 'unknown record');
  }),
);

test(
  'blame lists each snapshot where the entry changed and each accept, oldest first',
  inRepo(history, async (repo) => {
    const run = await cli(repo.dir, ['blame', 'prompts/system.txt', '--json']);
    expectCode(run, 0, 'blame');
    const events = oneJson(run).events as { kind: string; change: string; time: string; reason?: string }[];
    assert.equal(
      events.map((e) => `${e.kind}:${e.change}@${e.time.slice(0, 10)}`),
      ['snapshot:added@2026-03-01', 'accept:added@2026-03-01', 'snapshot:changed@2026-03-02', 'accept:changed@2026-03-03', 'snapshot:changed@2026-03-04'],
    );
    assert.is(events[3].reason, 'terse prompt approved');
    const none = oneJson(await cli(repo.dir, ['blame', 'nope.txt', '--json']));
    assert.equal(none.events, []);
  }),
);

test(
  'diff between the baselines of two dates, and the latest state at a date',
  inRepo(history, async (repo) => {
    const baselines = await cli(repo.dir, ['diff', 'baseline@2026-03-01', 'baseline@2026-03-03', '--json']);
    expectCode(baselines, 2, 'diff baselines');
    assert.equal(oneJson(baselines).changes.map((c: { key: string }) => c.key), ['prompts/system.txt']);
    const same = await cli(repo.dir, ['diff', 'baseline@2026-03-01', 'baseline@2026-03-02', '--json']);
    expectCode(same, 0, 'no accept between the two dates');
    const observed = await cli(repo.dir, ['diff', '2026-03-02', '2026-03-04', '--json']);
    expectCode(observed, 2, 'latest at two dates');
    assert.equal(oneJson(observed).changes.map((c: { key: string }) => c.key).sort(), ['config/models.yaml', 'prompts/system.txt']);
    const early = await cli(repo.dir, ['diff', 'baseline@2020-01-01']);
    expectCode(early, 1, 'before the ledger existed');
    assert.match(early.stderr, /no commit at or before 2020-01-01/);
  }),
);

test.run();
