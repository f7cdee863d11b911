import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertConfig, alertProject, at, run, runJson } from '../helpers/alerts.js';
import { expectCode, inRepo, oneJson } from '../helpers/e2e.js';
import { cli, type TempRepo } from '../helpers/repo.js';
import { MAX_CHECK_BARS, renderHtmlReport } from '../../src/render/html-report.js';
import { zeroCounts, type CheckPoint, type ReportModel } from '../../src/render/report-model.js';

/**
 * `report --html FILE` / `report --json`: a ledger built through the CLI at fixed clocks (two
 * targets, changes of every severity but info, an alert opened through a file channel, an accept
 * with a reason), rendered and opened in headless Chromium from file:// with every request
 * observed and anything but the page itself blocked.
 */

const CHROMIUM = '/usr/bin/chromium';
const TRICKY = `notes <b>&"quotes'.txt`;
const REASON = 'bigger pool <approved> & "ok"';

const CONFIG = alertConfig('channels:\n  - { kind: file, path: .drift/alerts.jsonl }', {
  targets: `- name: web
  labels: { env: prod }
  sources: [ { kind: files, root: web, watch: ["**/*"] } ]
- name: db
  sources: [ { kind: files, root: db, watch: ["**/*"] } ]`,
  severity: `severity:
  default: low
  rules:
    - match: "secrets/**"
      severity: critical
    - match: "*.conf"
      severity: high
    - match: "*.txt"
      severity: medium
`,
});

const project = alertProject(CONFIG, { 'web/index.html': '<h1>hi</h1>\n', 'web/site.conf': 'listen 80;\n', 'db/pg.conf': 'max_connections=100\n' });

/**
 * t0 init · t1 clean check · t2 web drifts with 5 changes (1 critical, 1 high, 1 medium, 2 low):
 * its alert opens · t3 db drifts · t4 db accepted with a reason · t5 check (web still drifting).
 */
async function history(repo: TempRepo): Promise<void> {
  await run(repo, ['init'], 0, {}, at(0));
  await run(repo, ['check'], 0, {}, at(1));
  repo.write('web/site.conf', 'listen 8080;\n');
  repo.write(`web/${TRICKY}`, 'escape me\n');
  repo.write('web/index.html', '<h1>hello</h1>\n');
  repo.write('web/app.js', 'console.log(1)\n');
  repo.write('web/secrets/token', 's3cr3t\n');
  await run(repo, ['check'], 2, {}, at(2));
  repo.write('db/pg.conf', 'max_connections=500\n');
  await run(repo, ['check'], 2, {}, at(3));
  await run(repo, ['accept', '--target', 'db', '--all', '--reason', REASON], 0, {}, at(4));
  await run(repo, ['check'], 2, {}, at(5));
}

test(
  'report --json: the data model (summary, checks, open alerts, accepts, latest changes); --since and --target narrow it',
  inRepo(project, async (repo) => {
    await history(repo);
    const model = await runJson(repo, ['report'], 0, {}, at(6));
    assert.is(model.kind, 'driftctl-report');
    assert.equal(model.window, { since: new Date(Date.parse(at(6)) - 30 * 86_400_000).toISOString(), until: at(6), label: '30d' });
    assert.equal(model.summary, {
      targets: 2,
      lastCheck: at(5),
      checks: 8,
      drifted: 4,
      openAlerts: 1,
      accepts: 3,
      drift: { critical: 1, high: 1, medium: 1, low: 2, info: 0 },
      driftTotal: 5,
    });
    const [web, db] = model.targets;
    assert.equal([web.name, web.status, web.highest, web.labels], ['web', 'drift', 'critical', { env: 'prod' }]);
    assert.equal([db.name, db.status, db.highest], ['db', 'clean', 'none']);
    assert.equal(web.checks.map((c: any) => [c.time, c.status, c.total]), [[at(1), 'clean', 0], [at(2), 'drift', 5], [at(3), 'drift', 5], [at(5), 'drift', 5]]);
    assert.equal(web.checks[3].bySeverity, { critical: 1, high: 1, medium: 1, low: 2, info: 0 });
    assert.equal(db.checks.map((c: any) => c.status), ['clean', 'clean', 'drift', 'clean']);
    assert.equal(web.openAlerts.map((a: any) => [a.source, a.severity, a.changes, a.openedAt]), [['files', 'critical', 5, at(2)]]);
    assert.equal(db.openAlerts, []);
    assert.equal(db.accepts.map((a: any) => [a.time, a.reason, a.changes, a.by]), [
      [at(4), REASON, 1, 'Test Author <author@example.test>'],
      [at(0), 'initial baseline (driftctl init)', 0, 'Test Author <author@example.test>'],
    ]);
    assert.equal(web.latest.changes.map((c: any) => [c.severity, c.change, c.key]), [
      ['critical', 'added', 'secrets/token'],
      ['high', 'changed', 'site.conf'],
      ['medium', 'added', TRICKY],
      ['low', 'added', 'app.js'],
      ['low', 'changed', 'index.html'],
    ]);
    assert.is(web.latest.more, 0);
    assert.equal([db.latest.status, db.latest.changes], ['clean', []]);

    const narrow = await runJson(repo, ['report', '--since', '90m', '--target', 'web'], 0, {}, at(6));
    assert.equal(narrow.targets.map((t: any) => t.name), ['web']);
    assert.equal(narrow.window.label, '90m');
    assert.equal(narrow.targets[0].checks.map((c: any) => c.time), [at(5)]);
    assert.equal([narrow.summary.checks, narrow.summary.accepts, narrow.summary.openAlerts], [1, 0, 1]);

    const unknown = await cli(repo.dir, ['report', '--json', '--target', 'nope'], { DRIFTCTL_NOW: at(6) });
    expectCode(unknown, 1, 'report --target nope');
    assert.is(oneJson(unknown).error.code, 'UNKNOWN_TARGET');
    const bare = await cli(repo.dir, ['report'], { DRIFTCTL_NOW: at(6) });
    expectCode(bare, 1, 'report without --html or --json');
    assert.match(bare.stderr, /--html FILE/);
    const badSince = await cli(repo.dir, ['report', '--json', '--since', 'soon'], { DRIFTCTL_NOW: at(6) });
    expectCode(badSince, 1, 'report --since soon');
    assert.is(oneJson(badSince).error.code, 'USAGE');
  }),
);

test(
  'report --html: a self-contained page that headless Chromium renders with no request but itself; escaped text, SVG timeline, screenshot',
  inRepo(project, async (repo) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: this test needs Debian's chromium package (apt-get update && apt-get install -y chromium; .ci/run installs it)`);
    await history(repo);
    const out = mkdtempSync(path.join(tmpdir(), 'driftctl-report-'));
    let context: BrowserContext | undefined;
    try {
      const file = path.join(out, 'nested', 'report.html');
      const written = await run(repo, ['report', '--html', file], 0, {}, at(6));
      assert.match(written.stdout, /wrote .*report\.html: 2 target\(s\), 8 check\(s\) in the last 30d, 1 open alert\(s\)/);
      const html = readFileSync(file, 'utf8');
      assert.ok(!html.includes('<b>&'), 'the tricky key is never written raw');
      assert.ok(html.includes('notes &lt;b&gt;&amp;&quot;quotes&#x27;.txt'), 'the tricky key is HTML-escaped');
      assert.ok(!/<script|<link|<img|<iframe|@import|url\(/i.test(html), 'no scripts, stylesheets, images, frames or CSS urls');
      assert.ok(!/(src|href)="(?!#)/i.test(html), 'no src or href other than in-page anchors');

      const url = pathToFileURL(file).href;
      context = await chromium.launchPersistentContext(path.join(out, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1366, height: 768 },
      });
      const requests: string[] = [];
      const blocked: string[] = [];
      context.on('request', (request) => void requests.push(request.url()));
      await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : (blocked.push(route.request().url()), route.abort())));
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' || message.type() === 'warning' ? problems.push(message.text()) : undefined));
      page.on('pageerror', (error) => void problems.push(error.message));
      await page.goto(url, { waitUntil: 'load' });

      assert.equal(requests, [url], 'the only request is the page itself');
      assert.equal(blocked, [], 'nothing was blocked because nothing else was asked for');
      assert.equal(problems, [], 'no console errors or warnings (CSP violations would show here)');
      assert.is(await page.title(), 'Drift report: web, db (last 30d)');

      // Summary header.
      assert.equal(await page.locator('section.target h2').allTextContents(), ['web', 'db']);
      const counts: Record<string, string> = {};
      for (const severity of ['critical', 'high', 'medium', 'low', 'info']) counts[severity] = (await page.locator(`[data-card=drift] [data-severity=${severity}] .count`).textContent()) ?? '';
      assert.equal(counts, { critical: '1', high: '1', medium: '1', low: '2', info: '0' });
      assert.is(await page.locator('[data-card=open-alerts] .value').textContent(), '1');
      assert.is(await page.locator('[data-card=targets] .value').textContent(), '2');
      assert.is(await page.locator('[data-card=last-check] .value').textContent(), '2026-03-01 11:00');

      // Open alerts, accepts, latest changes.
      assert.is(await page.locator('#target-web tr.alert-row').count(), 1);
      assert.match((await page.locator('#target-web tr.alert-row').textContent()) ?? '', /critical\s*files\s*drift\s*5 changes\s*2026-03-01 08:00 UTC/);
      assert.is(await page.locator('#target-db tr.alert-row').count(), 0);
      assert.equal(await page.locator('#target-db .reason').allTextContents(), [REASON, 'initial baseline (driftctl init)']);
      const keys = await page.locator('#target-web td.key').allTextContents();
      assert.equal(keys, ['secrets/token', 'site.conf', TRICKY, 'app.js', 'index.html']);
      assert.is(await page.locator('b').count(), 0, 'no <b> element: the key is text');
      assert.match((await page.locator('#target-db .changes').textContent()) ?? '', /No drift/);

      // SVG timelines: one bar per check, stacked by severity.
      assert.is(await page.locator('#target-web svg.timeline g.bar').count(), 4);
      assert.is(await page.locator('#target-db svg.timeline g.bar').count(), 4);
      assert.is(await page.locator('#target-web svg.timeline g.bar').nth(0).locator('rect.seg-clean').count(), 1);
      assert.equal(await page.locator('#target-web svg.timeline g.bar').nth(3).locator('rect').evaluateAll((rects) => rects.map((r) => r.getAttribute('class'))), ['seg-critical', 'seg-high', 'seg-medium', 'seg-low']);
      const heights = await page.locator('#target-web svg.timeline g.bar').nth(3).locator('rect').evaluateAll((rects) => rects.map((r) => (r as SVGRectElement).getBBox().height));
      assert.ok(Math.abs(heights[3] - 2 * heights[0]) < 0.5, `2 low changes stack twice as high as 1 critical: ${heights.join(', ')}`);
      assert.is(await page.locator('#target-db svg.timeline g.accept-mark').count(), 2);
      assert.match((await page.locator('#target-db svg.timeline g.accept-mark title').last().textContent()) ?? '', /bigger pool <approved> & "ok"/);

      // Readable on a 1366×768 laptop screen: nothing wider than the viewport.
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 1366, 'no horizontal scrolling at 1366px');

      const shot = path.join(out, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
      assert.is(png.readUInt32BE(16), 1366, 'PNG width');
      assert.ok(png.readUInt32BE(20) >= 768, 'PNG height');
      assert.ok(png.length > 30_000, `a non-trivial screenshot (${png.length} bytes)`);
      if (process.env.REPORT_SCREENSHOT) {
        const { copyFileSync } = await import('node:fs');
        copyFileSync(shot, process.env.REPORT_SCREENSHOT);
        copyFileSync(file, `${process.env.REPORT_SCREENSHOT}.html`);
      }
    } finally {
      await context?.close();
      rmSync(out, { recursive: true, force: true });
    }
  }),
);

test('renderHtmlReport (pure): over MAX_CHECK_BARS checks, one bar per day that has checks; labels escaped', () => {
  const until = Date.parse('2026-03-31T12:00:00.000Z');
  const checks: CheckPoint[] = [];
  // Every 5 hours over days 10..29 of the window: 96 checks on 20 distinct days.
  for (let h = 20 * 24 - 1; h >= 0; h -= 5) {
    const low = h % 3;
    checks.push({ report: `r${h}`, time: new Date(until - h * 3_600_000).toISOString(), status: low ? 'drift' : 'clean', highest: low ? 'low' : 'none', total: low, bySeverity: { ...zeroCounts(), low } });
  }
  assert.ok(checks.length > MAX_CHECK_BARS);
  const days = new Set(checks.map((c) => c.time.slice(0, 10))).size;
  const model: ReportModel = {
    kind: 'driftctl-report',
    generatedAt: new Date(until).toISOString(),
    window: { since: new Date(until - 30 * 86_400_000).toISOString(), until: new Date(until).toISOString(), label: '30d' },
    ledger: { branch: 'drift-ledger', tip: '0123456789abcdef0123456789abcdef01234567' },
    summary: { targets: 1, lastCheck: checks[checks.length - 1].time, checks: checks.length, drifted: 0, openAlerts: 0, accepts: 0, drift: zeroCounts(), driftTotal: 0 },
    targets: [{ name: 'api', enabled: true, labels: { team: '<script>alert(1)</script>' }, status: 'clean', highest: 'none', lastCheck: null, baseline: null, checks, openAlerts: [], accepts: [], latest: null }],
    tool: { name: 'driftctl', version: 'test' },
  };
  const html = renderHtmlReport(model);
  assert.is((html.match(/<g class="bar">/g) ?? []).length, days);
  assert.match(html, /data-unit="day"/);
  assert.match(html, /Most changes found by one check, per day · 96 checks/);
  assert.ok(!html.includes('<script>'), 'a label is never raw HTML');
  assert.match(html, /team=&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test.run();
