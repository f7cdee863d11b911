import { DriftError } from '../errors.js';
import { httpRequest } from '../http/http-client.js';
import { classifyRequestError } from '../http/request-errors.js';

/**
 * POSTs with timeouts and retries, through the HTTP adapter (http/http-client.ts).
 * Retries network errors, timeouts, 429 and 5xx with growing, jittered backoff, honouring
 * Retry-After (capped); never retries other 4xx. Errors never contain the URL: webhook URLs are
 * secrets.
 */
export interface PostOptions {
  timeoutMs: number;
  retries: number;
}

export interface HttpPoster {
  post(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<{ status: number; attempts: number }>;
}

const MAX_RETRY_AFTER_MS = 30_000;

export function createHttpPoster(sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): HttpPoster {
  return {
    async post(url, body, headers, options) {
      let lastProblem = '';
      const attempts = 1 + options.retries;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        let waitMs = 250 * attempt + Math.floor(Math.random() * 250);
        try {
          const response = await httpRequest(url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'driftctl', ...headers },
            timeoutMs: options.timeoutMs,
          });
          // Receivers may echo the request path ("Cannot POST /services/T0/B0/token"): redact it.
          const text = redactUrl(response.body.toString('utf8'), url).slice(0, 200);
          if (response.status >= 200 && response.status < 300) return { status: response.status, attempts: attempt };
          lastProblem = `HTTP ${response.status}${text ? ` (${text.replace(/\s+/g, ' ').trim()})` : ''}`;
          const retryable = response.status === 429 || response.status >= 500;
          if (!retryable) {
            throw new DriftError('DELIVERY_REJECTED', `${lastProblem}, rejected (not retried in this run)`, { data: { status: response.status, retryable: false } });
          }
          const retryAfter = parseRetryAfter(response.headers['retry-after']);
          if (retryAfter !== undefined) waitMs = Math.min(retryAfter, MAX_RETRY_AFTER_MS);
        } catch (error) {
          if (error instanceof DriftError) throw error;
          lastProblem = describeNetworkError(error, options.timeoutMs);
        }
        if (attempt < attempts) await sleep(waitMs);
      }
      throw new DriftError('DELIVERY_FAILED', `${lastProblem} (${attempts} attempt${attempts === 1 ? '' : 's'})`, { data: { retryable: true, attempts } });
    },
  };
}

/** `text` without the URL, its path and query, or any path or query segment of 6+ characters. */
export function redactUrl(text: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return text.split(url).join('[redacted]');
  }
  const secrets = [url, parsed.href, `${parsed.pathname}${parsed.search}`, parsed.pathname, parsed.search.slice(1)];
  for (const part of `${parsed.pathname}${parsed.search}`.split(/[/?&=]/)) {
    secrets.push(part);
    try {
      secrets.push(decodeURIComponent(part));
    } catch {
      // not percent-encoded text
    }
  }
  let out = text;
  for (const secret of [...new Set(secrets)].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const failure = classifyRequestError(error);
  if (failure.kind === 'timeout') return `timed out after ${timeoutMs} ms`;
  if (failure.kind === 'refused') return 'connection refused';
  if (failure.kind === 'not-found') return 'host not found';
  return `network error ${failure.code}`;
}
