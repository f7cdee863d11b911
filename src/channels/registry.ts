import type { ChannelConfig } from '../config/config.js';
import { DriftError } from '../errors.js';
import type { Channel } from './channel.js';
import { createConsoleChannel } from './console-channel.js';
import { createEmailChannel } from './email-channel.js';
import { createFileChannel } from './file-channel.js';
import { createPagerDutyChannel } from './pagerduty-channel.js';
import { createSlackChannel } from './slack-channel.js';
import { createSmsChannel } from './sms-channel.js';
import { createWebhookChannel } from './webhook-channel.js';

/** Channel kinds by name. The config schema lists the same kinds. */
const factories: Record<string, (config: ChannelConfig) => Channel> = {
  console: createConsoleChannel,
  file: createFileChannel,
  slack: createSlackChannel,
  webhook: createWebhookChannel,
  email: createEmailChannel,
  sms: createSmsChannel,
  pagerduty: createPagerDutyChannel,
};

export const CHANNEL_KINDS = Object.keys(factories);

export function createChannel(config: ChannelConfig): Channel {
  const factory = factories[config.kind];
  if (!factory) throw new DriftError('UNKNOWN_CHANNEL_KIND', `unknown channel kind "${config.kind}" (known: ${CHANNEL_KINDS.join(', ')})`, { data: { kind: config.kind } });
  return factory(config);
}
