import { Octokit } from '@octokit/rest';
import { httpFetch } from '../http/http-client.js';
import { DriftError } from '../errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { GithubClientOptions, NewPullRequest, PullRequest, PullRequests } from './pull-requests.js';

/**
 * The GitHub adapter: the only file that imports @octokit/rest. Requests go through the HTTP
 * adapter's fetch (http/http-client.ts); octokit's logger is silenced (it would print failed
 * requests); every octokit error is wrapped here into a DriftError that names the host and status but never the token.
 */
export function createGithubClient(options: GithubClientOptions): PullRequests {
  const silent = (): void => undefined;
  const octokit = new Octokit({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    auth: options.token,
    userAgent: options.userAgent ?? `${TOOL_NAME}/${TOOL_VERSION}`,
    log: { debug: silent, info: silent, warn: silent, error: silent },
    request: { fetch: httpFetch, retries: 0 },
  });
  const { owner, repo } = options;
  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw githubError(error, action, options);
    }
  };
  const toPull = (data: { number: number; html_url: string; title: string; head: { ref: string }; base: { ref: string } }): PullRequest => ({
    number: data.number,
    url: data.html_url,
    head: data.head.ref,
    base: data.base.ref,
    title: data.title,
  });

  return {
    async findOpenPull(headBranch) {
      const { data } = await call('list pull requests', () => octokit.rest.pulls.list({ owner, repo, head: `${owner}:${headBranch}`, state: 'open', per_page: 100 }));
      const found = data.find((pull) => pull.head.ref === headBranch);
      return found ? toPull(found) : undefined;
    },
    async createPull(pull: NewPullRequest) {
      const { data } = await call('create a pull request', () => octokit.rest.pulls.create({ owner, repo, title: pull.title, body: pull.body, head: pull.head, base: pull.base }));
      return toPull(data);
    },
    async updatePull(number, fields) {
      const { data } = await call(`update pull request #${number}`, () => octokit.rest.pulls.update({ owner, repo, pull_number: number, title: fields.title, body: fields.body }));
      return toPull(data);
    },
  };
}

/** Maps an octokit error (RequestError or a thrown fetch error) to a DriftError without secrets. */
export function githubError(error: unknown, action: string, options: GithubClientOptions): DriftError {
  const e = error as { status?: number; response?: { data?: unknown } };
  const where = hostOf(options.baseUrl);
  const repo = `${options.owner}/${options.repo}`;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const data = e.response?.data as { message?: unknown; errors?: { message?: unknown; code?: unknown }[] } | undefined;
  const detail = [data?.message, ...(data?.errors ?? []).map((x) => x.message ?? x.code)].filter((x): x is string => typeof x === 'string' && x !== '');
  const clean = (text: string): string => (options.token ? text.split(options.token).join('***') : text).replace(/\s+/g, ' ').slice(0, 300);
  if (status === 401 || status === 403) {
    return new DriftError('GITHUB_AUTH', `GitHub at ${where} refused to ${action} in ${repo} (HTTP ${status}): check the token in the environment variable ${options.tokenEnv}`, {
      data: { status, tokenEnv: options.tokenEnv },
    });
  }
  if (status === 404) {
    return new DriftError('GITHUB_NOT_FOUND', `GitHub at ${where}: repository ${repo} not found (HTTP 404; check github.owner/github.repo, and that the token in ${options.tokenEnv} can see it)`, {
      data: { status, repo },
    });
  }
  if (status === 422 && detail.some((d) => /already exists/i.test(d))) {
    return new DriftError('PULL_EXISTS', `a pull request for this branch already exists in ${repo}`, { data: { status } });
  }
  if (status !== undefined && (status !== 500 || e.response !== undefined)) {
    return new DriftError('GITHUB_FAILED', `GitHub at ${where} could not ${action} in ${repo} (HTTP ${status}${detail.length ? `: ${clean(detail.join('; '))}` : ''})`, { data: { status } });
  }
  // octokit reports a request that got no HTTP answer as status 500 without a response.
  const cause = (error as { cause?: { code?: string; cause?: { code?: string } } }).cause;
  const code = cause?.code ?? cause?.cause?.code ?? 'no response';
  return new DriftError('GITHUB_UNREACHABLE', `cannot reach GitHub at ${where} to ${action} (${code})`, { data: { code } });
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the configured api_url';
  }
}
