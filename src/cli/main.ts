import yargs from 'yargs';
import { ConfigError, DriftError, isDriftError, messageOf, type ErrorCode } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { acceptCommand } from './commands/accept.js';
import { alertCommand } from './commands/alert.js';
import { alertsCommand } from './commands/alerts.js';
import { digestCommand } from './commands/digest.js';
import { checkCommand } from './commands/check.js';
import { snapshotCommand } from './commands/snapshot.js';
import { ciCommand } from './commands/ci.js';
import { daemonCommand } from './commands/daemon.js';
import { diffCommand } from './commands/diff.js';
import { hashCommand } from './commands/hash.js';
import { initCommand } from './commands/init.js';
import { logCommand } from './commands/log.js';
import { reportCommand } from './commands/report.js';
import { pullCommand } from './commands/pull.js';
import { migrateCommand } from './commands/migrate.js';
import { pushCommand } from './commands/push.js';
import { serveCommand } from './commands/serve.js';
import { blameCommand } from './commands/blame.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { waiveCommand } from './commands/waive.js';
import { remediateCommand } from './commands/remediate.js';
import { restoreCommand } from './commands/restore.js';
import { CommandContext } from './context.js';
import { exitCodeFor } from './exit-codes.js';
import type { CliIo, GlobalArgs } from './io.js';

interface YargsInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

/** Parses `args`, runs one command, and returns the exit code. Never calls process.exit. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const ctx = new CommandContext(io);
  const wantsJson = args.includes('--json');
  const debug = args.includes('--debug');
  let usageError: string | undefined;
  const parser = yargs(args)
    .scriptName('driftctl')
    .usage('$0 <command> [options]\n\nA drift ledger that uses git as its database.')
    .option('config', { alias: 'c', type: 'string', describe: 'Config file (default ./driftctl.yml)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print exactly one JSON document on stdout' })
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces of errors' })
    .option('lock-timeout', { type: 'number', default: 10, describe: 'Seconds to wait for another driftctl to release the ledger' })
    .command(initCommand(ctx))
    .command(snapshotCommand(ctx))
    .command(checkCommand(ctx))
    .command(diffCommand(ctx))
    .command(acceptCommand(ctx))
    .command(statusCommand(ctx))
    .command(serveCommand(ctx))
    .command(daemonCommand(ctx))
    .command(ciCommand(ctx))
    .command(logCommand(ctx))
    .command(hashCommand(ctx))
    .command(alertCommand(ctx))
    .command(digestCommand(ctx))
    .command(alertsCommand(ctx))
    .command(verifyCommand(ctx))
    .command(showCommand(ctx))
    .command(blameCommand(ctx))
    .command(reportCommand(ctx))
    .command(pullCommand(ctx))
    .command(pushCommand(ctx))
    .command(waiveCommand(ctx))
    .command(remediateCommand(ctx))
    .command(restoreCommand(ctx))
    .command(migrateCommand(ctx))
    .completion('completion', 'Print a bash or zsh completion script (driftctl completion >> ~/.bashrc, or ~/.zshrc under zsh)')
    .demandCommand(1, 'name a command (see driftctl --help)')
    .strict()
    .version(TOOL_VERSION)
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      usageError = message;
      // Throw to stop here: when a fail handler returns, yargs goes on to run the command's handler.
      throw new DriftError('USAGE', message);
    });
  // yargs renders the whole help text after starting any command's handler, in case the handler
  // asks for help; driftctl's handlers never do, so help is rendered only when asked (--help, or a
  // usage error). That render cost about 0.1-0.3 s of CPU on every run (bench/startup-bench).
  (parser as unknown as YargsInternals).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  const usage = (): number => {
    report(io, wantsJson, { code: 'USAGE', message: usageError as string, data: {} });
    io.stderr.write('run "driftctl --help" for usage\n');
    return exitCodeFor('error');
  };
  try {
    await parser.parseAsync(args, {}, (_err, _argv, output) => {
      if (output && !usageError) io.stdout.write(`${output}\n`);
    });
    if (usageError) return usage();
    return exitCodeFor(ctx.verdict);
  } catch (error) {
    ctx.clearProgress();
    if (usageError !== undefined) return usage();
    if (isDriftError(error)) {
      report(io, wantsJson, { code: error.code, message: error.message, data: error instanceof ConfigError ? { issues: error.issues } : error.data });
      if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
      return exitCodeFor('error');
    }
    report(io, wantsJson, { code: 'INTERNAL', message: `internal error: ${messageOf(error)}${debug ? '' : ' (run with --debug for details)'}`, data: {} });
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodeFor('error');
  }
}

function report(io: CliIo, json: boolean, error: { code: ErrorCode; message: string; data: unknown }): void {
  for (const line of error.message.split('\n')) io.stderr.write(`driftctl: error: ${line}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
}

/** The process entry point used by bin/driftctl. */
export async function main(): Promise<void> {
  const confirm = process.stdin.isTTY ? askOnTerminal : undefined;
  const code = await runCli(process.argv.slice(2), { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr, ...(confirm ? { confirm } : {}) });
  process.exitCode = code;
}

export type { GlobalArgs };

/** A yes/no question on the terminal (stderr, so stdout stays the command's output); only "y" or "yes" agree. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
