import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * History queries over a ledger of 10,000 commits (npm run bench:log): driftctl log with and
 * without filters, cold (building the local commit index) and warm, against `git log --grep` on
 * the same repository. The ledger's commits are written with `git fast-import` in the layout and
 * with the trailers driftctl writes (5,000 snapshot + report pairs), which is what `log` reads.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'driftctl');
const WORK = path.join(ROOT, 'bench', '.work', 'log');
const COMMITS = Number(process.argv.find((a) => a.startsWith('--commits='))?.slice(10) ?? 10_000);

function build(): { repo: string; project: string } {
  rmSync(WORK, { recursive: true, force: true });
  const repo = path.join(WORK, 'ledger.git');
  const project = path.join(WORK, 'project');
  mkdirSync(project, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', repo]);
  const parts: string[] = [];
  const start = Date.parse('2026-01-01T00:00:00Z') / 1000;
  for (let i = 0; i < COMMITS; i++) {
    const report = i % 2 === 1;
    const t = start + i * 300;
    const id = `${new Date(t * 1000).toISOString().replace(/[-:]/g, '').replace('.', '').replace(/Z$/, 'Z').slice(0, 18)}Z-${(i % 0xffffff).toString(16).padStart(6, '0')}`;
    const drift = report && i % 10 === 1;
    const trailers = report
      ? `Drift-Target: default\nDrift-Kind: report\nDrift-Status: ${drift ? 'drift' : 'clean'}\nDrift-Severity: ${drift ? 'high' : 'none'}\nDrift-Record: ${id}\n`
      : `Drift-Target: default\nDrift-Kind: snapshot\nDrift-Record: ${id}\n`;
    const message = `${report ? `report default: ${drift ? 'drift' : 'clean'}` : 'snapshot default: 2000 entries'}\n\n${trailers}`;
    const body = `{"n": ${i}}\n`;
    parts.push(
      `commit refs/heads/drift-ledger\ncommitter driftctl <bench@example.test> ${t} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n` +
        `M 100644 inline targets/default/head.json\ndata ${Buffer.byteLength(body)}\n${body}\n`,
    );
  }
  execFileSync('git', ['--git-dir', repo, 'fast-import', '--quiet'], { input: parts.join('') });
  execFileSync('git', ['--git-dir', repo, 'symbolic-ref', 'HEAD', 'refs/heads/drift-ledger']);
  writeFileSync(path.join(project, 'driftctl.yml'), 'version: 1\nledger:\n  path: ../ledger.git\nsources:\n  - kind: files\n    watch: ["*.none"]\n');
  return { repo, project };
}

function time(label: string, command: string, args: string[], cwd: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${label}: exit ${run.status}\n${run.stderr}`);
  return seconds;
}

const { repo, project } = build();
const node = process.execPath;
const rows: [string, number, number | undefined][] = [];
const gitGrep = time('git log --grep', 'git', ['--git-dir', repo, 'log', '--format=%H %s', '--grep=Drift-Status: drift', 'drift-ledger'], project);
const gitPage = time('git log -n 50', 'git', ['--git-dir', repo, 'log', '-n', '50', '--format=%H %s', 'drift-ledger'], project);
rows.push(['log --limit 50 (cold: builds the commit index)', time('cold', node, [BIN, 'log', '--json'], project), gitPage]);
rows.push(['log --limit 50 (warm)', time('warm', node, [BIN, 'log', '--json'], project), gitPage]);
rows.push(['log --status drift --limit 10000 (scans all)', time('status', node, [BIN, 'log', '--status', 'drift', '--limit', '10000', '--json'], project), gitGrep]);
rows.push(['log --kind report --severity high --page 10', time('page', node, [BIN, 'log', '--kind', 'report', '--severity', 'high', '--page', '10', '--json'], project), gitGrep]);
rows.push(['log --since 2026-01-10 --until 2026-01-11', time('window', node, [BIN, 'log', '--since', '2026-01-10', '--until', '2026-01-11', '--json'], project), gitGrep]);
const startup = time('--version', node, [BIN, '--version'], project);

console.log(`\nhistory queries over a ledger of ${COMMITS} commits (2 cores; node start-up alone: ${startup.toFixed(2)} s)\n`);
console.log('| query | driftctl | git reference | ratio |');
console.log('|---|---|---|---|');
for (const [label, seconds, reference] of rows) {
  console.log(`| ${label} | ${seconds.toFixed(2)} s | ${reference?.toFixed(2) ?? '-'} s | ${reference ? (seconds / reference).toFixed(1) : '-'}x |`);
}
const warm = rows.slice(1).every(([, s]) => s < 1);
console.log(`\ntarget: every warm query under 1 s: ${warm ? 'PASS' : 'MISS'}`);
