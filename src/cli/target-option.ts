import type { Argv } from 'yargs';
import type { GlobalArgs } from './io.js';

/** `--target` and `--label`, shared by the commands that work on a selection of targets. */
export interface TargetArgs extends GlobalArgs {
  target?: string[];
  label?: string[];
}

export const targetOption = <T>(y: Argv<T>): Argv<T & TargetArgs> =>
  y
    .option('target', { type: 'string', array: true, describe: 'Only these targets, or every pack of these fleet hosts (repeatable; default: every enabled target)' })
    .option('label', { type: 'string', array: true, describe: 'Only targets carrying this label, KEY=VALUE (repeatable: all must hold)' }) as Argv<T & TargetArgs>;
