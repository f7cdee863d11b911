import { httpStream } from '../http/http-client.js';

/**
 * isomorphic-git's HTTP client plugin (`{ request }`), over the HTTP adapter (http/http-client.ts):
 * the bridge between git's smart HTTP protocol and the network. Unlike isomorphic-git's own Node client (simple-get over Node's
 * default keep-alive agent, whose sockets time out after 5 s of silence), every request waits up to
 * `timeoutMs` to connect, for the response headers and between body chunks, so a slow git server
 * (a push that takes its time to update refs) is not cut off. A request that runs out of time
 * throws an error whose `code` is undici's (UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT,
 * UND_ERR_CONNECT_TIMEOUT). Redirects are followed (up to 5), as git does.
 */
export interface GitHttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;
}

export interface GitHttpResponse {
  url: string;
  method: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: AsyncIterableIterator<Uint8Array>;
}

export interface GitHttpClient {
  request(request: GitHttpRequest): Promise<GitHttpResponse>;
}

const MAX_REDIRECTS = 5;

export function createGitHttpClient(timeoutMs: number): GitHttpClient {
  return {
    async request({ url, method = 'GET', headers = {}, body }) {
      // git request bodies are small enough to hold (isomorphic-git builds them in memory anyway).
      const payload = body === undefined ? undefined : await collect(body);
      let target = url;
      for (let redirects = 0; ; redirects++) {
        const response = await httpStream(target, { method, headers, ...(payload !== undefined ? { body: payload } : {}), timeoutMs });
        const location = response.headers.location;
        if (response.status >= 300 && response.status < 400 && typeof location === 'string' && redirects < MAX_REDIRECTS) {
          await response.discard();
          target = new URL(location, target).toString();
          continue;
        }
        return {
          url: target,
          method,
          statusCode: response.status,
          statusMessage: '',
          headers: flatHeaders(response.headers),
          body: response.body,
        };
      }
    },
  };
}

async function collect(body: NonNullable<GitHttpRequest['body']>): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
