import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serve } from '../../src/ops/serve.js';
import { at } from '../helpers/alerts.js';
import { commitCount, expectCode, inRepo, ledgerTip } from '../helpers/e2e.js';
import { parseExposition, type ParsedExposition } from '../helpers/prometheus.js';
import { BIN, cli, makeRepo, seedProject, TEST_ENV, type TempRepo } from '../helpers/repo.js';

/**
 * `driftctl serve` over loopback: the server runs in this process on port 0 (stopped with an
 * AbortSignal) while checks run through the CLI in between scrapes, so every answer must reflect
 * the ledger as it is at that request. One test runs it as a real process stopped by SIGTERM.
 */

interface Running {
  url: string;
  stop(): Promise<{ requests: number }>;
}

async function startServe(repo: TempRepo): Promise<Running> {
  const controller = new AbortController();
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const done = serve({ cwd: repo.dir, env: TEST_ENV, now: () => new Date(), lockTimeoutMs: 0 }, { port: 0, signal: controller.signal, onListening: listening });
  const base = await Promise.race([url, done.then(() => Promise.reject(new Error('serve returned before listening')))]);
  return {
    url: base,
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}

/** Runs `body` with a server on the repo, always stopping it. */
function withServer(make: () => TempRepo, body: (repo: TempRepo, server: Running) => Promise<void>): () => Promise<void> {
  return inRepo(make, async (repo) => {
    const server = await startServe(repo);
    try {
      await body(repo, server);
    } finally {
      await server.stop();
    }
  });
}

async function get(server: Running, route: string, init?: RequestInit): Promise<{ status: number; type: string; text: string; json(): any }> {
  const res = await fetch(`${server.url}${route}`, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
}

async function scrape(server: Running): Promise<ParsedExposition> {
  const res = await get(server, '/metrics');
  assert.is(res.status, 200, res.text);
  assert.ok(res.type.startsWith('text/plain; version=0.0.4'), res.type);
  return parseExposition(res.text);
}

async function run(repo: TempRepo, args: string[], code: number, time: string): Promise<void> {
  expectCode(await cli(repo.dir, args, { DRIFTCTL_NOW: time }), code, args.join(' '));
}

const statusOf = (m: ParsedExposition, target = 'default'): string[] =>
  ['clean', 'drift', 'error'].filter((status) => m.value('driftctl_last_check_status', { target, status }) === 1);

test(
  'healthz: 503 before init, 200 with the ledger tip after; metrics and API answer on an empty ledger',
  withServer(seedProject, async (repo, server) => {
    let health = await get(server, '/healthz');
    assert.is(health.status, 503);
    assert.ok(health.type.startsWith('application/json'));
    assert.equal(health.json(), {
      status: 'unavailable',
      branch: 'drift-ledger',
      tip: null,
      error: { code: 'NOT_INITIALIZED', message: 'no ledger branch "drift-ledger" yet (run "driftctl init")' },
    });
    let m = await scrape(server);
    assert.is(m.value('driftctl_ledger_commits_total', {}), 0);
    assert.is(m.value('driftctl_open_alerts', { target: 'default', severity: 'high' }), 0);
    assert.equal(statusOf(m), []);
    const targets = (await get(server, '/api/targets')).json();
    assert.equal(targets.targets.map((t: any) => [t.name, t.lastSnapshot, t.lastReport, t.baseline]), [['default', null, null, null]]);
    assert.equal((await get(server, '/api/reports')).json().reports, []);
    assert.equal((await get(server, '/api/alerts')).json(), { branch: 'drift-ledger', tip: null, open: [], recent: [] });

    await run(repo, ['init'], 0, at(0));
    health = await get(server, '/healthz');
    assert.is(health.status, 200);
    assert.equal(health.json(), { status: 'ok', branch: 'drift-ledger', tip: ledgerTip(repo) });
    m = await scrape(server);
    assert.is(m.value('driftctl_ledger_commits_total', {}), commitCount(repo));
    assert.is(m.value('driftctl_accepts_total', { target: 'default' }), 1);
  }),
);

test(
  'metrics follow the ledger between scrapes: drift count, status, open alerts, accepts, commits',
  withServer(seedProject, async (repo, server) => {
    await run(repo, ['init'], 0, at(0));
    await run(repo, ['check'], 0, at(1));
    let m = await scrape(server);
    assert.equal(statusOf(m), ['clean']);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 0);
    assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'default' }), Date.parse(at(1)) / 1000);
    assert.is(m.value('driftctl_check_duration_seconds', { target: 'default' }), undefined, 'only check --metrics-file knows the wall time');
    assert.ok(m.help.has('driftctl_check_duration_seconds'), 'but the family is described');

    repo.write('config/models.yaml', 'models:\n  primary:\n    name: gpt-4.1\n');
    await run(repo, ['check'], 2, at(2));
    m = await scrape(server);
    assert.equal(statusOf(m), ['drift']);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'high' }), 1);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 1);
    assert.is(m.value('driftctl_open_alerts', { target: 'default', severity: 'high' }), 1);
    assert.is(m.value('driftctl_last_check_timestamp_seconds', { target: 'default' }), Date.parse(at(2)) / 1000);

    repo.write('src/new.py', 'x = 1\n');
    await run(repo, ['check'], 2, at(3));
    m = await scrape(server);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'high' }), 1);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'low' }), 1);
    assert.is(m.value('driftctl_drift_total', { target: 'default' }), 2);

    await run(repo, ['accept', '--all', '--reason', 'approved'], 0, at(4));
    await run(repo, ['check'], 0, at(5));
    m = await scrape(server);
    assert.equal(statusOf(m), ['clean']);
    assert.is(m.value('driftctl_drift_changes', { target: 'default', severity: 'high' }), 0);
    assert.is(m.value('driftctl_open_alerts', { target: 'default', severity: 'high' }), 0);
    assert.is(m.value('driftctl_accepts_total', { target: 'default' }), 2);
    assert.is(m.value('driftctl_checks_total', { target: 'default' }), 4);
    assert.is(m.value('driftctl_ledger_commits_total', {}), commitCount(repo));
    assert.not.ok(existsSync(path.join(repo.dir, '.git', 'driftctl', 'lock')), 'serving never holds the ledger lock');
  }),
);

const TARGETS = `version: 1
targets:
  - name: web
    labels: { env: prod, team: "a \\"quoted\\" team" }
    sources: [ { kind: files, root: web, watch: ["**/*"] } ]
  - name: api
    sources: [ { kind: files, root: api, watch: ["**/*"] } ]
  - name: old
    enabled: false
    sources: [ { kind: files, root: old, watch: ["**/*"] } ]
severity:
  default: low
  rules:
    - match: "conf/**"
      severity: high
`;

const targetsProject = (): TempRepo =>
  makeRepo({ 'driftctl.yml': TARGETS, 'web/index.html': '<p>hi</p>\n', 'web/conf/app.yaml': 'a: 1\n', 'api/main.py': 'print(1)\n', 'old/x.txt': 'x\n' });

test(
  'JSON API: /api/targets, /api/reports (newest first, by target, limited), /api/alerts',
  withServer(targetsProject, async (repo, server) => {
    await run(repo, ['init'], 0, at(0));
    await run(repo, ['check'], 0, at(1));
    repo.write('web/conf/app.yaml', 'a: 2\n');
    await run(repo, ['check'], 2, at(2));
    // A new change: an unchanged check would record no report (only a heartbeat, hourly).
    repo.write('web/conf/app.yaml', 'a: 3\n');
    await run(repo, ['check', '--target', 'web'], 2, at(3));
    const tip = ledgerTip(repo);

    const targets = (await get(server, '/api/targets')).json();
    assert.is(targets.tip, tip);
    assert.equal(
      targets.targets.map((t: any) => [t.name, t.enabled, t.labels]),
      [
        ['web', true, { env: 'prod', team: 'a "quoted" team' }],
        ['api', true, {}],
        ['old', false, {}],
      ],
    );
    const web = targets.targets[0];
    assert.equal(Object.keys(web).sort(), ['baseline', 'checks', 'enabled', 'labels', 'lastReport', 'lastSnapshot', 'name', 'openAlerts']);
    assert.equal(Object.keys(web.lastSnapshot).sort(), ['entries', 'errors', 'id', 'time']);
    assert.is(web.lastSnapshot.entries, 2);
    assert.equal({ ...web.lastReport, id: undefined }, { id: undefined, time: at(3), status: 'drift', highest: 'high', total: 1 });
    assert.equal(Object.keys(web.baseline).sort(), ['accept', 'by', 'time', 'tree']);
    assert.is(web.baseline.time, at(0));
    assert.is(web.checks, 3);
    assert.is(web.openAlerts, 1);
    assert.is(targets.targets[1].lastReport.status, 'clean');
    assert.equal([targets.targets[2].lastSnapshot, targets.targets[2].lastReport], [null, null]);

    const webReports = (await get(server, '/api/reports?target=web')).json();
    assert.is(webReports.target, 'web');
    assert.equal(
      webReports.reports.map((r: any) => [r.target, r.time, r.status, r.highest, r.summary.total]),
      [
        ['web', at(3), 'drift', 'high', 1],
        ['web', at(2), 'drift', 'high', 1],
        ['web', at(1), 'clean', 'none', 0],
      ],
    );
    assert.equal(Object.keys(webReports.reports[0]).sort(), ['commit', 'errors', 'highest', 'id', 'snapshot', 'status', 'summary', 'target', 'time']);
    assert.is(webReports.reports[0].commit, tip);
    assert.is(webReports.reports[0].id, web.lastReport.id);
    // api's check at(2) found nothing new: a heartbeat, no report.
    assert.is((await get(server, '/api/reports')).json().reports.length, 4, 'every target');
    assert.equal(
      (await get(server, '/api/reports?limit=2')).json().reports.map((r: any) => [r.target, r.time]),
      [
        ['web', at(3)],
        ['web', at(2)],
      ],
      'newest first across targets',
    );

    const alerts = (await get(server, '/api/alerts')).json();
    assert.is(alerts.tip, tip);
    assert.equal(alerts.open.map((a: any) => [a.target, a.source, a.severity, a.changes, a.openedAt]), [['web', 'files', 'high', 1, at(2)]]);
    assert.equal(alerts.recent.map((e: any) => [e.event, e.target, e.severity, e.time]), [
      ['updated', 'web', 'high', at(3)],
      ['opened', 'web', 'high', at(2)],
    ]);
    assert.is(alerts.recent[1].alert, alerts.open[0].id);
    assert.is(alerts.recent[1].changes, undefined, 'events are listed without their change lists');
    assert.equal(alerts.recent[1].summary, { total: 1, added: 0, removed: 0, changed: 1 });
  }),
);

test(
  'errors are JSON: 404 unknown path or target, 405 for any method but GET/HEAD, 400 for a bad limit',
  withServer(seedProject, async (repo, server) => {
    await run(repo, ['init'], 0, at(0));
    const notFound = await get(server, '/nope');
    assert.is(notFound.status, 404);
    assert.ok(notFound.type.startsWith('application/json'));
    assert.is(notFound.json().error.code, 'NOT_FOUND');
    assert.is((await get(server, '/metrics/')).status, 404);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${server.url}/metrics`, { method, body: method === 'DELETE' ? undefined : 'x' });
      assert.is(res.status, 405, method);
      assert.is(res.headers.get('allow'), 'GET, HEAD');
      assert.is(((await res.json()) as any).error.code, 'METHOD_NOT_ALLOWED');
    }
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    assert.is(head.status, 200);
    assert.is(await head.text(), '');
    const unknown = await get(server, '/api/reports?target=nope');
    assert.is(unknown.status, 404);
    assert.is(unknown.json().error.code, 'UNKNOWN_TARGET');
    for (const limit of ['0', '-1', 'abc', '1.5', '100000']) {
      const bad = await get(server, `/api/reports?limit=${limit}`);
      assert.is(bad.status, 400, `limit=${limit}`);
      assert.is(bad.json().error.code, 'BAD_REQUEST');
    }
    assert.is((await get(server, '/api/alerts?limit=abc')).status, 400);
  }),
);

test(
  'driftctl serve --port 0 as a process: prints its URL on stderr, serves, exits 0 on SIGTERM',
  inRepo(seedProject, async (repo) => {
    await run(repo, ['init'], 0, at(0));
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: repo.dir, env: TEST_ENV });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL on stderr within 10 s: ${stderr}`)), 10_000);
        child.stderr.on('data', (d) => {
          stderr += d;
          const m = /serving (http:\/\/127\.0\.0\.1:(\d+))/.exec(stderr);
          if (m && m[2] !== '0') {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
      });
      const health = await fetch(`${url}/healthz`);
      assert.is(health.status, 200);
      assert.is(((await health.json()) as any).tip, ledgerTip(repo));
      const metrics = await fetch(`${url}/metrics`);
      assert.match(await metrics.text(), /^driftctl_ledger_commits_total 3$/m);
    } finally {
      child.kill('SIGTERM');
    }
    assert.is(await exited, 0, `exit code after SIGTERM; stderr: ${stderr}`);
    assert.match(stderr, /stopped after 2 requests/);
    assert.is(stdout, '');
  }),
);

test(
  'a port already in use is LISTEN_FAILED (exit 1)',
  withServer(seedProject, async (repo, server) => {
    const port = new URL(server.url).port;
    const run = await cli(repo.dir, ['serve', '--port', port, '--json']);
    expectCode(run, 1, 'serve on a busy port');
    assert.is(JSON.parse(run.stdout).error.code, 'LISTEN_FAILED');
  }),
);

test.run();
