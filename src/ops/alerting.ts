import path from 'node:path';
import { webhookUrlProblem, type Channel, type DeliveryContext } from '../channels/channel.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { TemplateEnv } from '../render/template-env.js';
import type { OpDeps } from './deps.js';
import type { Workspace } from './workspace.js';

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
  checkWebhookUrls(ws, deps.env, path.relative(deps.cwd, ws.config.file) || ws.config.file);
  return {
    templates: createTemplateEnv(ws.config.alerts.templates, templateSamples()),
    channels: ws.config.alerts.channels.map(createChannel),
    delivery: { env: deps.env, writeConsole: deps.writeConsole ?? (() => undefined), http: deps.http ?? createHttpPoster() },
  };
}

/**
 * A webhook URL that is set but malformed is a config error at load (one line per channel, naming
 * the config file, the field and the variable, never the value), instead of a delivery retried as
 * a network error. An unset variable is left to delivery: the notification waits in the outbox.
 */
function checkWebhookUrls(ws: Workspace, env: Record<string, string | undefined>, file: string): void {
  const issues: ConfigIssue[] = [];
  ws.config.alerts.channels.forEach((channel, index) => {
    if (!channel.urlEnv || (channel.kind !== 'slack' && channel.kind !== 'webhook')) return;
    const value = env[channel.urlEnv];
    const problem = value ? webhookUrlProblem(value) : undefined;
    if (!problem) return;
    const field = channel.kind === 'slack' ? 'webhook_env' : 'url_env';
    issues.push({
      file,
      path: `alerts.channels[${index}].${field}`,
      message: `the environment variable ${channel.urlEnv} (channel "${channel.name}") ${problem}: set it to the ${channel.kind === 'slack' ? 'Slack incoming-webhook' : 'webhook'} URL, https://…`,
    });
  });
  if (issues.length > 0) throw new ConfigError(issues);
}
