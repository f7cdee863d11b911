import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderGithubWorkflow } from '../ci/github-workflow.js';
import { renderGitlabCi } from '../ci/gitlab-ci.js';
import { DEFAULT_BRANCH } from '../config/config.js';
import { loadConfig, resolveConfigPath } from '../config/load-config.js';
import { DriftError } from '../errors.js';
import { cronProblem } from '../schedule/cron-scheduler.js';
import type { ConfigOption, OpDeps } from '../session/deps.js';

export type CiProvider = 'github' | 'gitlab';

export const CI_DEFAULT_OUTPUT: Record<CiProvider, string> = {
  github: '.github/workflows/driftctl.yml',
  gitlab: '.gitlab-ci.yml',
};
export const CI_DEFAULT_SCHEDULE = '0 6 * * *';

export interface CiOptions extends ConfigOption {
  provider: CiProvider;
  /** 5-field cron, UTC (default 0 6 * * *). */
  schedule?: string;
  /** Relative to deps.cwd (default: the provider's usual path). */
  output?: string;
  force?: boolean;
  failOnDrift?: boolean;
}

export interface CiResult {
  provider: CiProvider;
  file: string;
  schedule: string;
  branch: string;
  failOnDrift: boolean;
  overwritten: boolean;
}

/**
 * Writes a CI configuration that runs `driftctl check` on a schedule and pushes the ledger
 * branch (named by the config when there is one). Refuses to replace an existing file
 * (OUTPUT_EXISTS) unless `force`; a schedule that is not a 5-field cron is BAD_SCHEDULE.
 */
export async function writeCiConfig(deps: OpDeps, options: CiOptions): Promise<CiResult> {
  const schedule = (options.schedule ?? CI_DEFAULT_SCHEDULE).trim();
  const fields = schedule.split(/\s+/).length;
  const problem = fields !== 5 ? `CI schedulers take 5 fields (minute hour day-of-month month day-of-week), got ${fields} in "${schedule}"` : cronProblem(schedule);
  if (problem) throw new DriftError('BAD_SCHEDULE', `--schedule: ${problem}`, { data: { schedule } });
  const configFile = resolveConfigPath(deps.cwd, options.config);
  const branch = existsSync(configFile) ? loadConfig(configFile, deps.cwd).ledger.branch : DEFAULT_BRANCH;
  const file = path.resolve(deps.cwd, options.output ?? CI_DEFAULT_OUTPUT[options.provider]);
  const exists = existsSync(file);
  if (exists && !options.force) {
    throw new DriftError('OUTPUT_EXISTS', `${path.relative(deps.cwd, file) || file} already exists: not overwriting it (pass --force to replace it, or --output PATH)`, { data: { file } });
  }
  const template = { schedule, branch, failOnDrift: options.failOnDrift ?? false };
  const text = options.provider === 'github' ? renderGithubWorkflow(template) : renderGitlabCi(template);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: options.force ? 'w' : 'wx' });
  return { provider: options.provider, file, schedule, branch, failOnDrift: template.failOnDrift, overwritten: exists };
}
