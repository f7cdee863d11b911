import type { Argv, CommandModule } from 'yargs';
import { DriftError } from '../../errors.js';
import type { CommandContext } from '../context.js';
import { untilStopped, type GlobalArgs } from '../io.js';

interface ServeArgs extends GlobalArgs {
  port: number;
  host: string;
}

/** `driftctl serve`: runs until SIGINT or SIGTERM, then closes the server and exits 0. */
export function serveCommand(ctx: CommandContext): CommandModule<GlobalArgs, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Serve Prometheus metrics (/metrics), /healthz and a read-only JSON API over the ledger',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .option('port', { type: 'number', default: 9477, describe: 'TCP port (0: any free port, printed on stderr)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' }) as Argv<ServeArgs>,
    handler: async (argv) => {
      if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
        throw new DriftError('USAGE', `--port must be an integer from 0 to 65535 (got ${argv.port})`, { data: { port: argv.port } });
      }
      await untilStopped(async (signal) => {
        const { serve } = await import('../../ops/serve.js');
        const result = await serve(ctx.deps(argv), {
          config: argv.config,
          port: argv.port,
          host: argv.host,
          signal,
          onListening: (url) => ctx.note(`driftctl: serving ${url} (GET /metrics, /healthz, /api/targets, /api/reports, /api/alerts; read-only)`),
        });
        ctx.note(`driftctl: stopped after ${result.requests} request${result.requests === 1 ? '' : 's'}`);
        ctx.emit(argv, result, () => '');
      });
    },
  };
}
