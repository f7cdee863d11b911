import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for PagerDuty's Events API v2 (`POST /v2/enqueue`). It validates events as
 * the service does: a JSON body, the expected routing key, `event_action` trigger, acknowledge or
 * resolve, a `dedup_key` of at most 255 characters (required to resolve), and for a trigger a
 * payload with a summary (1-1024 characters), a source and a severity among critical, error,
 * warning, info. Valid events get 202 and are recorded; invalid ones get 400 with the reasons.
 */
export interface PagerDutyEvent {
  routing_key: string;
  event_action: string;
  dedup_key?: string;
  payload?: { summary: string; source: string; severity: string; timestamp?: string; component?: string; group?: string; class?: string; custom_details?: any };
  links?: { href: string; text?: string }[];
  client?: string;
  client_url?: string;
}

export interface PagerDutyApi {
  url: string;
  events: PagerDutyEvent[];
  rejected: { body: string; errors: string[] }[];
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export function eventProblems(event: any, routingKey: string): string[] {
  const errors: string[] = [];
  if (!event || typeof event !== 'object') return ['Event object is invalid'];
  if (event.routing_key !== routingKey) errors.push('Invalid routing key');
  if (!['trigger', 'acknowledge', 'resolve'].includes(event.event_action)) errors.push("'event_action' is invalid");
  if (event.dedup_key !== undefined && (typeof event.dedup_key !== 'string' || event.dedup_key.length === 0 || event.dedup_key.length > 255)) errors.push("'dedup_key' is invalid");
  if (event.event_action !== 'trigger' && event.dedup_key === undefined) errors.push("'dedup_key' is required for acknowledge and resolve");
  if (event.event_action === 'trigger') {
    const p = event.payload;
    if (!p || typeof p !== 'object') errors.push("'payload' is missing");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024) errors.push("'payload.summary' must be 1-1024 characters");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing");
      if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' is invalid");
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp))) errors.push("'payload.timestamp' is invalid");
      if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) errors.push("'payload.custom_details' is invalid");
    }
    for (const link of event.links ?? []) if (typeof link.href !== 'string' || !/^https?:\/\//.test(link.href)) errors.push("'links' is invalid");
  }
  return errors;
}

export async function startPagerDutyApi(routingKey: string): Promise<PagerDutyApi> {
  const events: PagerDutyEvent[] = [];
  const rejected: PagerDutyApi['rejected'] = [];
  let failures: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, json: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return answer(404, { status: 'not found' });
      const scripted = failures.shift();
      if (scripted !== undefined) return answer(scripted, { status: 'scripted failure' });
      let event: any;
      try {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('not JSON');
        event = JSON.parse(body);
      } catch {
        rejected.push({ body, errors: ['Event object is invalid'] });
        return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Event object is invalid'] });
      }
      const errors = eventProblems(event, routingKey);
      if (errors.length > 0) {
        rejected.push({ body, errors });
        return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors });
      }
      events.push(event as PagerDutyEvent);
      answer(202, { status: 'success', message: 'Event processed', dedup_key: event.dedup_key ?? `generated-${events.length}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/enqueue`,
    events,
    rejected,
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
