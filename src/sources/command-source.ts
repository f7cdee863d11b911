import type { CommandSourceConfig } from '../config/config.js';
import { observeRecords, selectRecords } from './keyed-records.js';
import { runProcess } from './run-process.js';
import { wholeSource, type Source } from './source.js';

/**
 * The output of a process (argv, or a shell line; locally or behind a remote prefix such as
 * `ssh web1 --`) as keyed `value` entries: stdout is parsed and keyed as selectRecords describes,
 * and each record's content is normalised with the source's ignore_fields. A non-zero exit, a
 * timeout or output that does not parse is SOURCE_FAILED (a source error, never drift).
 */
export function createCommandSource(config: CommandSourceConfig): Source {
  const what = `source "${config.name}"`;
  return wholeSource(config, 'command', async (context, ignorer) => {
    const stdout = await runProcess(config.process, what, context.env);
    return observeRecords(selectRecords(stdout, config, `${what}: stdout`), ignorer);
  });
}
