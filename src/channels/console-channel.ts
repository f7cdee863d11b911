import type { ChannelConfig } from '../config/config.js';
import { alertView } from '../render/views.js';
import { payloadFor, type Channel } from './channel.js';

/** Rendered text on the terminal (stdout, or stderr under --json). */
export function createConsoleChannel(config: ChannelConfig): Channel {
  return {
    config,
    renderAlert: (notice, templates, now) => payloadFor(config, notice, templates.render('console', alertView(notice, now))),
    renderDigest: (view, templates) => payloadFor(config, 'digest', templates.render('digest-console', view)),
    async deliver(payload, context) {
      context.writeConsole(payload.body.endsWith('\n') ? payload.body : `${payload.body}\n`);
    },
  };
}
