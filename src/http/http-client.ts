import { Agent, fetch as undiciFetch, request } from 'undici';

/**
 * The HTTP adapter: the only module that imports undici. Alert channels (POST with retries, see
 * channels/http-poster.ts), the http source (GET with a private CA and a size cap) and the GitHub
 * client (octokit over `httpFetch`) all go through it. Failures are undici's and Node's errors;
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
