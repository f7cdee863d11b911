import type { SourceConfig } from '../config/config.js';
import { DriftError } from '../errors.js';
import type { Source } from './source.js';

/**
 * Source kinds by name, each loaded only when a target uses it (a files-only check never loads
 * undici, the YAML parser for Kubernetes, ...). The config schema lists the same kinds; adding
 * one means adding it to both.
 */
const factories: Record<SourceConfig['kind'], () => Promise<(config: never) => Source>> = {
  command: async () => (await import('./command-source.js')).createCommandSource,
  files: async () => (await import('./files-source.js')).createFilesSource,
  http: async () => (await import('./http-source.js')).createHttpSource,
  kubernetes: async () => (await import('./kubernetes-source.js')).createKubernetesSource,
  metrics: async () => (await import('./metrics-source.js')).createMetricsSource,
  terraform: async () => (await import('./terraform-source.js')).createTerraformSource,
};

export const SOURCE_KINDS = Object.keys(factories);

export async function createSource(config: SourceConfig): Promise<Source> {
  const factory = (factories as Record<string, (typeof factories)['files'] | undefined>)[config.kind];
  if (!factory) {
    throw new DriftError('UNKNOWN_SOURCE_KIND', `unknown source kind "${config.kind}" (known: ${SOURCE_KINDS.join(', ')})`, { data: { kind: config.kind } });
  }
  return (await factory())(config as never);
}
