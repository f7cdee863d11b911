/** What the generated CI configurations are built from (pure data, see github-workflow.ts and gitlab-ci.ts). */
export interface CiTemplateOptions {
  /** 5-field cron expression, UTC. */
  schedule: string;
  /** The ledger branch to fetch and push. */
  branch: string;
  /** Whether exit code 2 (drift found) fails the job. */
  failOnDrift: boolean;
}

/**
 * The shell lines that run the check (`code` holds its exit code), then the lines that end the job:
 * exit 2 (drift) passes unless FAIL_ON_DRIFT is "true", so that a scheduled job is red only when
 * driftctl could not do its work; drift is recorded on the ledger and reported through alerts
 * either way. Every line is a single shell command that is safe under `set -e`.
 */
export const RUN_CHECK = ['code=0', 'npx driftctl check || code=$?'];
export const EXIT_WITH_VERDICT = [
  'if [ "$code" -eq 2 ] && [ "$FAIL_ON_DRIFT" != "true" ]; then echo "drift found and recorded on the ledger (exit 2; FAIL_ON_DRIFT=true fails the job)"; code=0; fi',
  'exit "$code"',
];
