import { channelWants, type Channel, type DeliveryContext, type Payload } from '../channels/channel.js';
import { isDriftError, messageOf } from '../errors.js';
import { newRecordId, outboxPath } from '../ledger/layout.js';
import type { Edit, Ledger, LedgerWriter } from '../ledger/ledger.js';
import { readOutbox } from '../ledger/reader.js';
import { encodeRecord, type OutboxEntry } from '../ledger/records.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { AlertNotice } from '../render/views.js';

/**
 * Delivering notifications: rendering notices per channel, and sending them through the outbox
 * (what cannot be delivered is committed under `outbox/` and retried by the next run; what is
 * delivered is removed in the same commit that records the run).
 */

/**
 * Renders each notice for every channel that wants it. A template that fails on this particular
 * notice (templates were already checked against samples at load) costs that message only, never
 * the run's report: it comes back as an `unrendered` outcome.
 */
export function renderNotices(channels: Channel[], templates: TemplateEnv, notices: AlertNotice[], now: string): { payloads: Payload[]; failures: DeliveryOutcome[] } {
  const payloads: Payload[] = [];
  const failures: DeliveryOutcome[] = [];
  for (const notice of notices) {
    for (const channel of channels) {
      if (!channelWants(channel.config, notice)) continue;
      try {
        payloads.push(...[channel.renderAlert(notice, templates, now)].flat());
      } catch (error) {
        failures.push({ channel: channel.config.name, subject: `${notice.event} ${notice.alertId}`, status: 'unrendered', error: messageOf(error), retried: false });
      }
    }
  }
  return { payloads, failures };
}

export interface DeliveryOutcome {
  channel: string;
  subject: string;
  /** unrendered: its template failed on this notice, so there was nothing to send or keep. */
  status: 'delivered' | 'queued' | 'kept' | 'unrendered';
  error: string | null;
  /** True when this delivery came from the outbox of an earlier run. */
  retried: boolean;
}

/**
 * Delivers the outbox of `base` and then the new payloads, and stages one `outbox` commit if the
 * outbox changed. A payload whose channel is no longer configured stays in the outbox.
 */
export async function deliverWithOutbox(
  ledger: Ledger,
  base: string | undefined,
  writer: LedgerWriter,
  channels: Channel[],
  payloads: Payload[],
  context: DeliveryContext,
  now: Date,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  const edits: Edit[] = [];
  const byName = new Map(channels.map((c) => [c.config.name, c]));
  for (const entry of await readOutbox(ledger, base)) {
    const channel = byName.get(entry.channel);
    if (!channel) {
      outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'kept', error: `channel "${entry.channel}" is no longer configured`, retried: true });
      continue;
    }
    const error = await tryDeliver(channel, { channel: entry.channel, kind: entry.channelKind, subject: entry.subject, body: entry.body, ...(entry.text !== undefined ? { text: entry.text } : {}) }, context);
    if (error === null) {
      edits.push({ path: outboxPath(entry.id), remove: true });
      outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'delivered', error: null, retried: true });
    } else {
      edits.push({ path: outboxPath(entry.id), blob: encodeRecord('outbox', { ...entry, attempts: entry.attempts + 1, lastError: error }) });
      outcomes.push({ channel: entry.channel, subject: entry.subject, status: 'kept', error, retried: true });
    }
  }
  for (const payload of payloads) {
    const channel = byName.get(payload.channel) as Channel;
    const error = await tryDeliver(channel, payload, context);
    if (error === null) {
      outcomes.push({ channel: payload.channel, subject: payload.subject, status: 'delivered', error: null, retried: false });
      continue;
    }
    const entry = outboxEntry(payload, now, 1, error);
    edits.push({ path: outboxPath(entry.id), blob: encodeRecord('outbox', entry) });
    outcomes.push({ channel: payload.channel, subject: payload.subject, status: 'queued', error, retried: false });
  }
  if (edits.length > 0) {
    const delivered = outcomes.filter((o) => o.status === 'delivered').length;
    const waiting = outcomes.filter((o) => o.status !== 'delivered').length;
    await writer.commit(edits, `outbox: ${delivered} delivered, ${waiting} waiting`, { 'Drift-Kind': 'outbox' });
  }
  return outcomes;
}

async function tryDeliver(channel: Channel, payload: Payload, context: DeliveryContext): Promise<string | null> {
  try {
    await channel.deliver(payload, context);
    return null;
  } catch (error) {
    return `${channel.config.kind} channel "${channel.config.name}": ${isDriftError(error) ? error.message : messageOf(error)}`;
  }
}

/** A payload as an outbox entry, to be delivered by a later run. */
export function outboxEntry(payload: Payload, now: Date, attempts: number, lastError: string): OutboxEntry {
  return {
    format: 1,
    kind: 'outbox',
    id: `${newRecordId(now)}-${payload.channel}`,
    channel: payload.channel,
    channelKind: payload.kind,
    subject: payload.subject,
    body: payload.body,
    ...(payload.text !== undefined ? { text: payload.text } : {}),
    created: now.toISOString(),
    attempts,
    lastError,
  };
}
