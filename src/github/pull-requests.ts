/**
 * Pull requests on the repository that holds the ledger, as the accept operation needs them.
 * The only implementation talking to GitHub is `github-client.ts`; tests stand a loopback server
 * in for the GitHub API instead of mocking this interface.
 *
 * Every method throws DriftErrors only: `GITHUB_AUTH` (401/403, naming the token's environment
 * variable), `GITHUB_NOT_FOUND`, `PULL_EXISTS` (422: a pull request for this head already exists),
 * `GITHUB_FAILED` (any other HTTP status), `GITHUB_UNREACHABLE` (no HTTP answer). Messages never
 * contain the token.
 */
export interface PullRequest {
  number: number;
  url: string;
  head: string;
  base: string;
  title: string;
}

export interface NewPullRequest {
  title: string;
  body: string;
  /** Branch name in the same repository (without `refs/heads/`). */
  head: string;
  base: string;
}

export interface PullRequests {
  /** The open pull request whose head is `headBranch` in this repository, if any. */
  findOpenPull(headBranch: string): Promise<PullRequest | undefined>;
  createPull(pull: NewPullRequest): Promise<PullRequest>;
  updatePull(number: number, fields: { title: string; body: string }): Promise<PullRequest>;
}

export interface GithubClientOptions {
  /** REST API base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise. */
  baseUrl: string;
  owner: string;
  repo: string;
  token: string;
  /** The environment variable the token came from, named in authentication errors. */
  tokenEnv: string;
  userAgent?: string;
}
