import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderGithubActionWorkflow } from '../ci/github-action-workflow.js';
import { renderGithubWorkflow } from '../ci/github-workflow.js';
import { renderGitlabCi } from '../ci/gitlab-ci.js';
import type { CiTemplateOptions } from '../ci/ci-options.js';
import { CONFIG_FILE_NAME, DEFAULT_BRANCH, type Config } from '../config/config.js';
import { TOOL_VERSION } from '../version.js';
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
  /** GitHub only: the driftctl action (action.yml) the workflow uses, `owner/repo@ref` (default DEFAULT_ACTION). */
  action?: string;
  /** GitHub only: inline install/check/push steps instead of the action. */
  inline?: boolean;
}

/** The action `ci github` uses unless told otherwise: this repository's action.yml at the major version tag. */
export const DEFAULT_ACTION = `driftctl/driftctl@v${TOOL_VERSION.split('.')[0]}`;

export interface CiResult {
  provider: CiProvider;
  file: string;
  schedule: string;
  branch: string;
  failOnDrift: boolean;
  overwritten: boolean;
  /** Where the job finds the ledger: a branch of this repository, or ledger.remote. */
  ledger: 'same-repo' | 'remote';
  /** Secrets the job maps into the environment (GitHub) or expects as CI/CD variables (GitLab). */
  secrets: string[];
}

/**
 * Writes a CI configuration that runs `driftctl check` on a schedule and pushes the ledger
 * branch (named by the config when there is one). GitHub workflows use driftctl's action
 * (`options.action`, default DEFAULT_ACTION) unless `inline`. Refuses to replace an existing file
 * (OUTPUT_EXISTS) unless `force`; a schedule that is not a 5-field cron is BAD_SCHEDULE.
 */
export async function writeCiConfig(deps: OpDeps, options: CiOptions): Promise<CiResult> {
  const schedule = (options.schedule ?? CI_DEFAULT_SCHEDULE).trim();
  const fields = schedule.split(/\s+/).length;
  const problem = fields !== 5 ? `CI schedulers take 5 fields (minute hour day-of-month month day-of-week), got ${fields} in "${schedule}"` : cronProblem(schedule);
  if (problem) throw new DriftError('BAD_SCHEDULE', `--schedule: ${problem}`, { data: { schedule } });
  if (options.inline && (options.action !== undefined || options.provider !== 'github')) {
    throw new DriftError('USAGE', options.provider !== 'github' ? '--inline is for "ci github" only' : '--inline and --action exclude each other: --inline writes the steps instead of using the action');
  }
  if (options.action !== undefined && (options.provider !== 'github' || !/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[\w./-]+$/.test(options.action))) {
    throw new DriftError('USAGE', options.provider !== 'github' ? '--action is for "ci github" only' : `--action: "${options.action}" is not OWNER/REPO@REF (e.g. driftctl/driftctl@v0)`);
  }
  const configFile = resolveConfigPath(deps.cwd, options.config);
  const config = existsSync(configFile) ? loadConfig(configFile, deps.cwd) : undefined;
  const branch = config?.ledger.branch ?? DEFAULT_BRANCH;
  const needs = config ? ciNeeds(config, deps.cwd) : { ledger: { mode: 'same-repo' as const }, secrets: [], passThrough: [], pullRequests: false };
  const file = path.resolve(deps.cwd, options.output ?? CI_DEFAULT_OUTPUT[options.provider]);
  const exists = existsSync(file);
  if (exists && !options.force) {
    throw new DriftError('OUTPUT_EXISTS', `${path.relative(deps.cwd, file) || file} already exists: not overwriting it (pass --force to replace it, or --output PATH)`, { data: { file } });
  }
  const relativeConfig = path.relative(deps.cwd, configFile).split(path.sep).join('/');
  const template: CiTemplateOptions = {
    schedule,
    branch,
    failOnDrift: options.failOnDrift ?? false,
    ...needs,
    ...(relativeConfig !== CONFIG_FILE_NAME ? { configPath: relativeConfig } : {}),
    version: TOOL_VERSION,
  };
  const text =
    options.provider === 'gitlab' ? renderGitlabCi(template) : options.inline ? renderGithubWorkflow(template) : renderGithubActionWorkflow({ ...template, action: options.action ?? DEFAULT_ACTION });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: options.force ? 'w' : 'wx' });
  return { provider: options.provider, file, schedule, branch, failOnDrift: template.failOnDrift, overwritten: exists, ledger: template.ledger.mode, secrets: template.secrets };
}

/**
 * What a CI job needs from the config: where the ledger lives, and every environment variable
 * driftctl reads a secret from (the ledger token, webhook URLs and signing secrets, SMTP logins,
 * SMS account SIDs and tokens, PagerDuty routing keys, HTTP header values, the GitHub token of
 * accept pull requests). A ledger kept only in ledger.path would live
 * on the runner's disk and vanish after each run: CI_LEDGER_NOT_SHARED, naming the fix.
 */
function ciNeeds(config: Config, cwd: string): Pick<CiTemplateOptions, 'ledger' | 'secrets' | 'passThrough' | 'pullRequests'> {
  const { ledger } = config;
  if (!ledger.remote && ledger.path) {
    throw new DriftError(
      'CI_LEDGER_NOT_SHARED',
      `${path.relative(cwd, config.file) || config.file}: ledger.path keeps the ledger in ${ledger.path}, on the CI runner's disk, which is thrown away after each run: set ledger.remote to a git URL the job can push to (see "Remote ledgers"), or drop ledger.path to keep the ledger on a branch of this repository`,
      { data: { path: ledger.path } },
    );
  }
  const secrets = new Set<string>();
  const passThrough = new Set<string>();
  if (ledger.remote) {
    secrets.add(ledger.tokenEnv);
    if (ledger.usernameEnv) secrets.add(ledger.usernameEnv);
  }
  for (const channel of config.alerts.channels) {
    const named = [
      channel.urlEnv,
      channel.secretEnv,
      channel.email?.userEnv,
      channel.email?.passwordEnv,
      channel.sms?.accountSidEnv,
      channel.sms?.authTokenEnv,
      channel.pagerduty?.routingKeyEnv,
    ];
    for (const name of named) if (name) secrets.add(name);
  }
  if (config.github) secrets.add(config.github.tokenEnv);
  for (const target of config.targets) {
    for (const source of target.sources) {
      if (source.kind === 'http') for (const name of Object.values(source.headersEnv)) secrets.add(name);
      const processes = source.kind === 'command' ? [source.process] : source.kind === 'terraform' || source.kind === 'kubernetes' ? [source.process, source.kind === 'kubernetes' ? source.desired?.process : undefined] : [];
      for (const spec of processes) for (const name of spec?.env ?? []) passThrough.add(name);
    }
  }
  for (const name of secrets) passThrough.delete(name);
  return {
    ledger: ledger.remote ? { mode: 'remote', tokenEnv: ledger.tokenEnv, ...(ledger.usernameEnv ? { usernameEnv: ledger.usernameEnv } : {}) } : { mode: 'same-repo' },
    secrets: [...secrets].sort(),
    passThrough: [...passThrough].sort(),
    pullRequests: config.github !== undefined,
  };
}
