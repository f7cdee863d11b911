import type { SourceConfig } from '../config/config.js';
import { DriftError } from '../errors.js';
import { createCommandSource } from './command-source.js';
import { createFilesSource } from './files-source.js';
import { createHttpSource } from './http-source.js';
import { createKubernetesSource } from './kubernetes-source.js';
import { createMetricsSource } from './metrics-source.js';
import type { Source } from './source.js';
import { createTerraformSource } from './terraform-source.js';

/** Source kinds by name. The config schema lists the same kinds; adding one means adding it to both. */
const factories: Record<string, (config: never) => Source> = {
  command: createCommandSource,
  files: createFilesSource,
  http: createHttpSource,
  kubernetes: createKubernetesSource,
  metrics: createMetricsSource,
  terraform: createTerraformSource,
};

export const SOURCE_KINDS = Object.keys(factories);

export function createSource(config: SourceConfig): Source {
  const factory = factories[config.kind];
  if (!factory) {
    throw new DriftError('UNKNOWN_SOURCE_KIND', `unknown source kind "${config.kind}" (known: ${SOURCE_KINDS.join(', ')})`, { data: { kind: config.kind } });
  }
  return factory(config as never);
}
