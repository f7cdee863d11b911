import type { CommandSourceConfig } from '../config/config.js';
import { createIgnorer } from '../drift/fields.js';
import { DriftError } from '../errors.js';
import { createKeyMatcher } from '../match/glob.js';
import { observeRecords, selectRecords } from './keyed-records.js';
import { runProcess } from './run-process.js';
import type { Source } from './source.js';

/**
 * The output of a process (argv, or a shell line; locally or behind a remote prefix such as
 * `ssh web1 --`) as keyed `value` entries: stdout is parsed and keyed as selectRecords describes,
 * and each record's content is normalised with the source's ignore_fields. A non-zero exit, a
 * timeout or output that does not parse is SOURCE_FAILED (a source error, never drift).
 */
export function createCommandSource(config: CommandSourceConfig): Source {
  const ignorer = createIgnorer(config.ignoreFields, createKeyMatcher);
  const what = `source "${config.name}"`;
  return {
    name: config.name,
    kind: 'command',
    async observe(context) {
      try {
        const stdout = await runProcess(config.process, what, context.env);
        const observation = observeRecords(selectRecords(stdout, config, `${what}: stdout`), ignorer);
        context.onProgress?.({ phase: 'scan', source: config.name, done: observation.stats.entries, total: observation.stats.entries });
        return observation;
      } catch (error) {
        if (error instanceof DriftError) error.data.source = config.name;
        throw error;
      }
    },
  };
}
