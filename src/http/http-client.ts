import { Agent, fetch as undiciFetch, request } from 'undici';

/**
 * The HTTP adapter: the only module that imports undici. Alert channels (POST with retries, see
 * channels/http-poster.ts), the http source (GET with a private CA and a size cap), the GitHub
 * client (octokit over `httpFetch`) and git's smart HTTP (`httpStream`, see ledger/git-http.ts)
 * all go through it. Failures are undici's and Node's errors;
 * classifyRequestError (request-errors.ts) names them.
 */
export interface HttpRequestOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Bounds the whole exchange: connecting, the headers, the body. */
  timeoutMs: number;
  /** A connection pool of its own for this request (closed after it), with a connect timeout. */
  privateConnection?: boolean;
  /** Trusted CA certificates (PEM) of the private connection; default: Node's. */
  ca?: string[];
  /** Stop reading the body beyond this size (the response then has `truncated: true`). */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** True when the body was larger than `maxBodyBytes` and reading stopped. */
  truncated: boolean;
}

export async function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  const { timeoutMs } = options;
  const agent = options.privateConnection ? new Agent({ connect: { ca: options.ca, timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }) : undefined;
  try {
    const response = await request(url, {
      method: options.method,
      headers: options.headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
      ...(agent ? { dispatcher: agent } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (options.maxBodyBytes !== undefined && size > options.maxBodyBytes) {
        response.body.destroy();
        return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks), truncated: false };
  } finally {
    await agent?.destroy();
  }
}

/** A WHATWG fetch over undici, for clients that take one (octokit). */
export const httpFetch = undiciFetch as unknown as typeof fetch;

export interface HttpStreamOptions {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /**
   * Bounds each phase, not the whole exchange: connecting, waiting for the headers, and the
   * silence between two body chunks (a long transfer that keeps moving is never cut off).
   */
  timeoutMs: number;
}

export interface HttpStreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it arrives; read it to the end (or call `discard`) to free the connection. */
  body: AsyncIterableIterator<Uint8Array>;
  discard(): Promise<void>;
}

const streamAgents = new Map<number, Agent>();

/** One keep-alive pool per timeout, shared by every streamed request of the process. */
function streamAgent(timeoutMs: number): Agent {
  let agent = streamAgents.get(timeoutMs);
  if (!agent) streamAgents.set(timeoutMs, (agent = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })));
  return agent;
}

/**
 * A request whose response body is streamed, with per-phase timeouts (see HttpStreamOptions).
 * Redirects are not followed. A request that runs out of time fails with undici's error code
 * (UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT).
 */
export async function httpStream(url: string, options: HttpStreamOptions): Promise<HttpStreamResponse> {
  const response = await request(url, {
    method: options.method as 'GET',
    headers: options.headers,
    ...(options.body !== undefined ? { body: options.body } : {}),
    dispatcher: streamAgent(options.timeoutMs),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
    discard: () => response.body.dump(),
  };
}
