import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for a Twilio-compatible Messages API. It checks what Twilio checks:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, basic auth with that SID and the auth
 * token (401 otherwise), a form-encoded body (400 otherwise) with `To`, `From` and `Body`; it
 * answers 201 with a message resource. Accepted messages are recorded decoded; every request is
 * kept raw. `failNext` scripts statuses for the next requests.
 */
export interface SmsRecord {
  accountSid: string;
  to: string;
  from: string;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface SmsApi {
  url: string;
  messages: SmsRecord[];
  requests: RawRequest[];
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startSmsApi(credentials: { accountSid: string; authToken: string }): Promise<SmsApi> {
  const messages: SmsRecord[] = [];
  const requests: RawRequest[] = [];
  let failures: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, json: object): void => {
        requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !route) return answer(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const accountSid = decodeURIComponent(route[1]);
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, pass] = auth ? Buffer.from(auth, 'base64').toString('utf8').split(':') : [];
      if (user !== credentials.accountSid || pass !== credentials.authToken || accountSid !== credentials.accountSid) {
        return answer(401, { code: 20003, message: 'Authenticate', status: 401 });
      }
      const scripted = failures.shift();
      if (scripted !== undefined) return answer(scripted, { code: 20500, message: 'scripted failure', status: scripted });
      if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return answer(400, { code: 20001, message: 'expected a form-encoded body', status: 400 });
      }
      const form = new URLSearchParams(body);
      for (const field of ['To', 'From', 'Body']) {
        if (!form.get(field)) return answer(400, { code: 21604, message: `A '${field}' parameter is required.`, status: 400 });
      }
      const record: SmsRecord = { accountSid, to: form.get('To') as string, from: form.get('From') as string, body: form.get('Body') as string };
      messages.push(record);
      answer(201, { sid: `SM${String(messages.length).padStart(32, '0')}`, account_sid: accountSid, to: record.to, from: record.from, body: record.body, status: 'queued' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    requests,
    failNext: (...statuses) => {
      failures = statuses;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
