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

/**
 * A client whose upload-pack ref advertisements always name HEAD: when the server advertises no
 * HEAD (its HEAD is a branch without commits, as in a new GitHub repository whose default `main`
 * is empty and holds only the ledger branch), `symref=HEAD:<headRef>` is added to the first ref
 * line's capabilities. isomorphic-git's fetch resolves the remote HEAD after updating the tracking
 * ref and before saving the pack, so without a HEAD it fails with NotFoundError (a fetch that
 * looked like "no such branch") and leaves a tracking ref naming objects it never stored. The ref
 * named here is only the remote's default branch as isomorphic-git reports it; nothing else reads it.
 */
export function withAdvertisedHead(client: GitHttpClient, headRef: string): GitHttpClient {
  return {
    async request(request) {
      const response = await client.request(request);
      if ((request.method ?? 'GET') !== 'GET' || response.statusCode !== 200 || !/\/info\/refs\?service=git-upload-pack$/.test(request.url)) return response;
      const advertised = await collect(response.body);
      const body = addHeadSymref(advertised, headRef);
      return { ...response, body: (async function* () { yield body; })() };
    },
  };
}

/** The advertisement with `symref=HEAD:<headRef>` on its first ref line, unless it names HEAD already (or is not one). */
export function addHeadSymref(advertised: Buffer, headRef: string): Buffer {
  const lines: (Buffer | null)[] = [];
  for (let at = 0; at < advertised.length; ) {
    const length = Number.parseInt(advertised.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(length) || (length !== 0 && length < 4) || at + Math.max(length, 4) > advertised.length) return advertised;
    lines.push(length === 0 ? null : advertised.subarray(at + 4, at + length));
    at += Math.max(length, 4);
  }
  const first = lines.findIndex((l) => l !== null && !l.toString('latin1').startsWith('# service='));
  if (first < 0) return advertised;
  const text = (lines[first] as Buffer).toString('latin1');
  const nul = text.indexOf('\0');
  if (nul < 0 || text.includes('symref=HEAD:') || text.startsWith('0000000000000000000000000000000000000000 capabilities^{}')) return advertised;
  if (lines.some((l) => l !== null && / HEAD(\0|\n|$)/.test(l.toString('latin1').split('\0')[0]))) return advertised;
  const eol = text.endsWith('\n') ? '\n' : '';
  lines[first] = Buffer.from(`${text.slice(0, text.length - eol.length)} symref=HEAD:${headRef}${eol}`, 'latin1');
  return Buffer.concat(lines.map((l) => (l === null ? Buffer.from('0000') : Buffer.concat([Buffer.from((l.length + 4).toString(16).padStart(4, '0')), l]))));
}
