import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeRepo, spawnCli, TEST_ENV, type TempRepo } from '../helpers/repo.js';
import { expectCode, LEDGER } from '../helpers/e2e.js';
import { startGitServer } from '../helpers/git-server.js';

/**
 * A fleet on one remote ledger: 8 agents (separate repositories, each with its own target) run
 * 10 checks each as real processes, the agents in parallel, each agent's checks in sequence. Their
 * pushes race; the losers fetch, replay and retry. Every report must land exactly once, in a
 * linear history that git fsck and `driftctl verify` (from a fresh clone) accept.
 */
const AGENTS = Number(process.env.FLEET_AGENTS ?? 8);
const CHECKS = Number(process.env.FLEET_CHECKS ?? 10);
const FILES = 3;
const TOKEN = 'fleet-token-5be1';

function agentConfig(name: string, url: string): string {
  return `version: 1
ledger:
  branch: drift-ledger
  remote: ${url}
targets:
  - name: ${name}
    sources:
      - kind: files
        watch: ["data/**"]
`;
}

function bareGit(bare: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', bare, ...args], { env: TEST_ENV, encoding: 'utf8', maxBuffer: 1 << 28 });
}

test(`${AGENTS} agents × ${CHECKS} checks on one remote ledger: all ${AGENTS * CHECKS} reports land, linear, fsck clean, verify passes`, async () => {
  const server = await startGitServer({ token: TOKEN });
  const bare = server.createRepo('fleet');
  const url = `${server.url}/fleet.git`;
  const names = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
  const agents: TempRepo[] = names.map((name) => {
    const files: Record<string, string> = { 'driftctl.yml': agentConfig(name, url) };
    for (let f = 0; f < FILES; f++) files[`data/file${f}.txt`] = `${name} file ${f}\n`;
    return makeRepo(files);
  });
  const clone = mkdtempSync(path.join(tmpdir(), 'driftctl-fleet-clone-'));
  const env = { DRIFTCTL_GIT_TOKEN: TOKEN };
  const started = Date.now();
  try {
    // Every agent creates the ledger or joins it at once: on an empty remote, only one root survives.
    const inits = await Promise.all(agents.map((agent) => spawnCli(agent.dir, ['init'], env)));
    inits.forEach((run, i) => expectCode(run, 0, `init ${names[i]}`));

    // Each agent stops at its first failure; all agents finish before anything is asserted or removed.
    const runs = await Promise.all(
      agents.map(async (agent, i) => {
        const out = [];
        for (let n = 1; n <= CHECKS; n++) {
          agent.write(`data/file${n % FILES}.txt`, `${names[i]} edit ${n}\n`);
          const run = await spawnCli(agent.dir, ['check', '--no-alert'], env);
          if (process.env.E2E_TIMING) process.stderr.write(`  ${names[i]} check ${n}: exit ${run.code} at ${((Date.now() - started) / 1000).toFixed(1)} s ${run.stderr}\n`);
          out.push({ what: `${names[i]} check ${n}`, run });
          if (run.code !== 2) break;
        }
        return out;
      }),
    );
    for (const { what, run } of runs.flat()) expectCode(run, 2, what);
    // A check that lost every push race warned and kept its commits locally: flush them, as the
    // next scheduled run would.
    const deferred = runs.flat().filter(({ run }) => /warning: push to/.test(run.stderr)).length;
    for (const agent of agents) expectCode(await spawnCli(agent.dir, ['push'], env), 0, 'push');
    if (deferred > 0) process.stderr.write(`  [remote fleet: ${deferred} check(s) deferred their push to the next write]\n`);
    const elapsed = Date.now() - started;
    process.stderr.write(`  [remote fleet: ${AGENTS} agents × ${CHECKS} checks (+ ${AGENTS} inits) in ${(elapsed / 1000).toFixed(1)} s]\n`);
    assert.is(runs.flat().length, AGENTS * CHECKS);

    const tip = bareGit(bare, 'rev-parse', LEDGER).trim();
    const log = bareGit(bare, 'log', '--format=%H %P%x09%(trailers:key=Drift-Target,valueonly,separator=%x2C)%x09%(trailers:key=Drift-Kind,valueonly,separator=%x2C)', LEDGER)
      .trim()
      .split('\n')
      .map((line) => {
        // A check commit repeats the trailers per operation: the first names the commit.
        const [ids, targets, kinds] = line.split('\t');
        const [oid, ...parents] = ids.trim().split(' ');
        return { oid, parents, target: targets.split(',')[0], kind: kinds.split(',')[0] };
      });
    assert.is(log.filter((c) => c.kind === 'report').length, AGENTS * CHECKS, 'Drift-Kind: report commits on the remote');
    assert.is(log.filter((c) => c.kind === 'ledger').length, 1, 'one "ledger created" commit');
    assert.is(log.filter((c) => c.parents.length === 0).length, 1, 'one root');
    assert.ok(log.every((c) => c.parents.length <= 1), 'no merges');
    log.slice(0, -1).forEach((c, i) => assert.equal(c.parents, [log[i + 1].oid], 'linear history'));

    const paths = bareGit(bare, 'ls-tree', '-r', '--name-only', LEDGER).trim().split('\n');
    for (const name of names) {
      const records = (kind: string) => paths.filter((p) => p.startsWith(`targets/${name}/records/`) && p.endsWith(`.${kind}.json`)).length;
      assert.is(records('report'), CHECKS, `${name}: report records`);
      assert.is(records('snapshot'), CHECKS + 1, `${name}: snapshot records`);
      assert.is(records('accept'), 1, `${name}: accept records`);
      assert.is(log.filter((c) => c.target === name && c.kind === 'report').length, CHECKS, `${name}: report commits`);
      const head = JSON.parse(bareGit(bare, 'show', `${LEDGER}:targets/${name}/head.json`));
      assert.is(head.checks, CHECKS, `${name}: head.json counts every check`);
    }
    // Nothing lost locally either: every agent's branch is the remote's history up to some point.
    for (const agent of agents) {
      const local = agent.git('rev-parse', LEDGER).trim();
      bareGit(bare, 'merge-base', '--is-ancestor', local, tip);
      assert.is(agent.git('rev-parse', `refs/remotes/driftctl/${LEDGER}`).trim(), local, 'each agent ends with its branch = what it pushed');
    }

    const fsck = execFileSync('git', ['--git-dir', bare, 'fsck', '--full', '--strict', '--no-progress'], { env: TEST_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.not.match(fsck, /error|missing|broken/i, 'git fsck on the bare repository');

    execFileSync('git', ['clone', '-q', bare, clone], { env: TEST_ENV });
    writeFileSync(path.join(clone, 'driftctl.yml'), `version: 1\ntargets:\n${names.map((n) => `  - name: ${n}\n    sources: [ { kind: files, watch: ["data/**"] } ]\n`).join('')}`);
    const verify = await spawnCli(clone, ['verify']);
    expectCode(verify, 0, 'verify from a fresh clone');
    assert.match(verify.stdout, /verify: PASS/);
  } finally {
    for (const agent of agents) agent.cleanup();
    rmSync(clone, { recursive: true, force: true });
    await server.close();
  }
});

test.run();
