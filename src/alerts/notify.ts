import type { Channel, DeliveryContext } from '../channels/channel.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { OpDeps } from '../session/deps.js';
import type { Workspace } from '../session/workspace.js';

/**
 * Templates (compiled and checked against sample data) and channels, loaded on demand by the
 * operations that notify (check, accept, alert, digest), so that read-only commands start
 * without Handlebars and the HTTP client.
 */
export interface Alerting {
  templates: TemplateEnv;
  channels: Channel[];
  delivery: DeliveryContext;
}

export async function loadAlerting(ws: Workspace, deps: OpDeps): Promise<Alerting> {
  const [{ createTemplateEnv }, { templateSamples }, { createChannel }, { createHttpPoster }] = await Promise.all([
    import('../render/template-env.js'),
    import('../render/samples.js'),
    import('../channels/registry.js'),
    import('../channels/http-poster.js'),
  ]);
  return {
    templates: createTemplateEnv(ws.config.alerts.templates, templateSamples()),
    channels: ws.config.alerts.channels.map(createChannel),
    delivery: { env: deps.env, writeConsole: deps.writeConsole ?? (() => undefined), http: deps.http ?? createHttpPoster() },
  };
}
