import type { ChannelConfig } from '../config/config.js';
import { alertView } from '../render/views.js';
import type { Channel } from './channel.js';

/** Rendered text on the terminal (stdout, or stderr under --json). */
export function createConsoleChannel(config: ChannelConfig): Channel {
  return {
    config,
    renderAlert: (notice, templates, now) => ({
      channel: config.name,
      kind: 'console',
      subject: `${notice.event} ${notice.alertId}`,
      body: templates.render('console', alertView(notice, now)),
    }),
    renderDigest: (view, templates) => ({ channel: config.name, kind: 'console', subject: 'digest', body: templates.render('digest-console', view) }),
    async deliver(payload, context) {
      context.writeConsole(payload.body.endsWith('\n') ? payload.body : `${payload.body}\n`);
    },
  };
}
