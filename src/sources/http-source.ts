import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { rootCertificates } from 'node:tls';
import type { HttpSourceConfig } from '../config/config.js';
import { DriftError } from '../errors.js';
import { httpRequest } from '../http/http-client.js';
import { classifyRequestError } from '../http/request-errors.js';
import { observeRecords, selectRecords } from './keyed-records.js';
import { wholeSource, type Source, type SourceContext } from './source.js';

/** A larger body is refused (a runaway endpoint must not exhaust memory). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The body of a GET as keyed `value` entries, parsed like a command's stdout (see selectRecords).
 * Headers come from the config and, for secrets, from environment variables named in `headersEnv`.
 * Redirects are not followed. A non-2xx answer, a TLS, connection or timeout failure, an oversized
 * or unparsable body is SOURCE_FAILED. Messages show the URL without userinfo, query or fragment
 * and never a header value.
 */
export function createHttpSource(config: HttpSourceConfig): Source {
  return wholeSource(config, 'http', async (context, ignorer) => {
    const body = await fetchBody(config, context);
    return observeRecords(selectRecords(body, config, `source "${config.name}": body of GET ${displayUrl(config.url)}`), ignorer);
  });
}

/** The URL as messages may show it: no userinfo, query or fragment (they may carry secrets). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

async function fetchBody(config: HttpSourceConfig, context: SourceContext): Promise<Buffer> {
  const url = displayUrl(config.url);
  const fail = (message: string): never => {
    throw new DriftError('SOURCE_FAILED', `source "${config.name}": ${message}`, { data: { source: config.name } });
  };
  const headers: Record<string, string> = { 'user-agent': 'driftctl', accept: 'application/json, */*;q=0.5', ...config.headers };
  for (const [header, variable] of Object.entries(config.headersEnv)) {
    const value = context.env[variable];
    if (value === undefined || value === '') fail(`header ${header}: environment variable ${variable} is not set`);
    headers[header] = value as string;
  }
  let ca: string[] | undefined;
  if (config.ca) {
    try {
      ca = [...rootCertificates, readFileSync(config.ca, 'utf8')];
    } catch (error) {
      fail(`cannot read ca ${config.ca}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    const response = await httpRequest(config.url, { method: 'GET', headers, timeoutMs: config.timeoutMs, privateConnection: true, ca, maxBodyBytes: MAX_BODY_BYTES });
    if (response.status < 200 || response.status > 299) return fail(`GET ${url} answered ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trimEnd());
    if (response.truncated) return fail(`GET ${url}: body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    return response.body;
  } catch (error) {
    if (error instanceof DriftError) throw error;
    // Foreign messages are shown only after the URL and every header value are cut out of them.
    const secrets = [config.url, ...Object.keys(config.headersEnv).map((h) => headers[h])].filter((s) => s.length >= 4);
    const reason = secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), describeFailure(error, config.timeoutMs));
    return fail(`GET ${url} failed: ${reason}`);
  }
}

/** A one-line reason for a failed request. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const failure = classifyRequestError(error);
  switch (failure.kind) {
    case 'timeout':
      return `timed out after ${timeoutMs} ms (raise timeout)`;
    case 'refused':
      return 'connection refused';
    case 'not-found':
      return 'host not found';
    case 'closed':
      return 'connection closed by the server';
    case 'tls':
      return `TLS error ${failure.code}: ${failure.message} (to trust a private CA, set ca to its PEM file)`;
    default:
      return `${failure.code}${failure.message ? `: ${failure.message}` : ''}`;
  }
}
