import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: a status (with headers and body), or `hang` to never answer (a timeout). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP server on loopback standing in for Slack and webhook receivers: records every
 * request and answers from a script (then 200 "ok").
 */
export interface Receiver {
  url: string;
  received: Received[];
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let replies: Reply[] = [];
  const hanging: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.shift() ?? { status: 200, body: 'ok' };
      if (reply === 'hang') {
        hanging.push(() => res.destroy());
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script: (...r) => {
      replies = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of hanging) h();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A receiver for one uvu suite: started before its tests, closed after them, and emptied (with
 * its script reset) before each test. The returned object forwards to the live receiver.
 */
export function useReceiver(suite: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void } & { before: { each: (fn: () => void) => void } }): Receiver {
  let live: Receiver | undefined;
  suite.before(async () => {
    live = await startReceiver();
  });
  suite.after(async () => {
    await live?.close();
  });
  suite.before.each(() => {
    if (!live) return;
    live.received.length = 0;
    live.script();
  });
  return new Proxy({} as Receiver, {
    get: (_target, key) => {
      if (!live) throw new Error('receiver used outside its suite');
      const value = live[key as keyof Receiver];
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(live) : value;
    },
  });
}
