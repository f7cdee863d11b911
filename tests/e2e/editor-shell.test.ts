import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateAgainst } from '../../src/schemas.js';
import { parseYaml } from '../../src/yaml/yaml.js';
import { expectCode, inRepo } from '../helpers/e2e.js';
import { makeRepo, REPO_ROOT, spawnCli } from '../helpers/repo.js';

/** The starter config's yaml-language-server line, and shell completion scripts. */

test(
  'init writes a starter driftctl.yml whose first line points editors at the installed config schema',
  inRepo(
    () => makeRepo({ 'app/a.txt': 'a\n' }),
    async (repo) => {
      expectCode(await spawnCli(repo.dir, ['init']), 0, 'init');
      const text = readFileSync(path.join(repo.dir, 'driftctl.yml'), 'utf8');
      const first = text.split('\n')[0];
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      assert.ok(match, first);
      const schema = path.resolve(repo.dir, match![1]);
      assert.is(schema, path.join(REPO_ROOT, 'schemas', 'config.schema.json'));
      assert.ok(existsSync(schema));
      assert.equal(validateAgainst('config', parseYaml(text)), [], 'the starter config is valid against that schema');
    },
  ),
);

test(
  'completion: bash and zsh scripts, and the completions they ask for',
  inRepo(
    () => makeRepo({}),
    async (repo) => {
      const bash = await spawnCli(repo.dir, ['completion'], { SHELL: '/bin/bash' });
      expectCode(bash, 0, 'completion (bash)');
      assert.match(bash.stdout, /complete -o bashdefault -o default -F _driftctl_yargs_completions driftctl/);
      const zsh = await spawnCli(repo.dir, ['completion'], { SHELL: '/usr/bin/zsh' });
      expectCode(zsh, 0, 'completion (zsh)');
      assert.match(zsh.stdout, /compdef _driftctl_yargs_completions driftctl/);
      const words = await spawnCli(repo.dir, ['--get-yargs-completions', 'driftctl', 'ch']);
      expectCode(words, 0, 'completions');
      assert.ok(words.stdout.split('\n').includes('check'), words.stdout);
    },
  ),
);

test.run();
