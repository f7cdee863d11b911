import type { Argv } from 'yargs';
import { DriftError } from '../errors.js';

/** `--no-content` and `--context N`, shared by the commands that show content diffs (check, diff, show, blame). */
export interface ContentArgs {
  content?: boolean;
  context?: number;
}

export const contentOption = <T>(y: Argv<T>): Argv<T & ContentArgs> =>
  y
    .option('content', { type: 'boolean', default: true, describe: 'Show a unified diff of captured content per change (--no-content hides it)' })
    .option('context', { type: 'number', default: 3, describe: 'Lines of context around each change in content diffs' }) as Argv<T & ContentArgs>;

/** The content options an op takes; a negative or non-integer --context is a usage error. */
export function contentOptions(argv: ContentArgs): { content: boolean; context: number } {
  const context = argv.context ?? 3;
  if (!Number.isInteger(context) || context < 0) throw new DriftError('BAD_OPTION', `--context must be a whole number of lines, 0 or more (got ${String(argv.context)})`, { data: { option: 'context' } });
  return { content: argv.content !== false, context };
}
