/** What the generated CI configurations are built from (pure data, see github-workflow.ts and gitlab-ci.ts). */
export interface CiTemplateOptions {
  /** 5-field cron expression, UTC. */
  schedule: string;
  /** The ledger branch to fetch and push. */
  branch: string;
  /** Whether exit code 2 (drift found) fails the job. */
  failOnDrift: boolean;
  /**
   * Where the ledger lives: `same-repo` (a branch of the watched repository, which the job fetches
   * and pushes with git), or `remote` (ledger.remote: driftctl fetches and pushes it itself, with
   * the token in `tokenEnv`).
   */
  ledger: { mode: 'same-repo' } | { mode: 'remote'; tokenEnv: string; usernameEnv?: string };
  /** Environment variables driftctl reads secrets from (tokens, webhook URLs, signing keys, header values), sorted. */
  secrets: string[];
  /** Environment variables that command-like sources pass through (not necessarily secret), sorted. */
  passThrough: string[];
  /** `github:` is configured: accepts go through pull requests. */
  pullRequests: boolean;
  /** The config file, relative to the repository root, when it is not ./driftctl.yml. */
  configPath?: string;
  /** The driftctl version the job installs (the generator's own). */
  version: string;
}

/** Third-party actions, pinned by commit (the tag they were at is written as a comment). */
export const PINNED_ACTIONS = {
  checkout: { uses: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', tag: 'v4.2.2' },
  setupNode: { uses: 'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020', tag: 'v4.4.0' },
} as const;

/** `driftctl` with `--config PATH` when the config is not ./driftctl.yml. */
export function driftctlCommand(options: CiTemplateOptions, command: string): string {
  return `driftctl ${command}${options.configPath ? ` --config ${shellQuote(options.configPath)}` : ''}`;
}

/** Installs driftctl itself (the watched repository need not be a Node project). */
export function installCommand(options: CiTemplateOptions): string {
  return `npm install --global --no-audit --no-fund driftctl@${options.version}`;
}

/**
 * The shell lines that run the check (`code` holds its exit code), then the lines that end the job:
 * exit 2 (drift) passes unless FAIL_ON_DRIFT is "true", so that a scheduled job is red only when
 * driftctl could not do its work; drift is recorded on the ledger and reported through alerts
 * either way. Every line is a single shell command that is safe under `set -e`. With a remote
 * ledger, `pull` first creates the local copy of the ledger (and ledger.path) on the fresh runner.
 */
export function runCheck(options: CiTemplateOptions): string[] {
  return [...(options.ledger.mode === 'remote' ? [driftctlCommand(options, 'pull')] : []), 'code=0', `${driftctlCommand(options, 'check')} || code=$?`];
}
export const EXIT_WITH_VERDICT = [
  'if [ "$code" -eq 2 ] && [ "$FAIL_ON_DRIFT" != "true" ]; then echo "drift found and recorded on the ledger (exit 2; FAIL_ON_DRIFT=true fails the job)"; code=0; fi',
  'exit "$code"',
];

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
