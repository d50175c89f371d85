/**
 * `metrogate serve`: the HTTP API over a data directory alone, without polling any device: records,
 * certificates, the register, coverage, evaluation and sessions by entered values. For an office
 * that keeps the records while the benches run elsewhere, and for benchmarks. `metrogate start`
 * serves the same API next to the running gateway.
 */
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { DEFAULT_COVERAGE_CONFIG, httpConfigSchema, loadGatewayConfig } from '../config/gateway-config.js';
import { overridesOf } from '../config/verification-config.js';
import { httpOptionsOf, startHttpServer } from '../http/server.js';
import { MetrogateStore } from '../store/store.js';
import type { CliContext } from './context.js';
import { dataDirOption, prepareDataDir } from './data-dir.js';
import { createOutput, reportError } from './output.js';

interface ServeOptions {
  config?: string;
  dataDir?: string;
  httpPort?: string;
  host?: string;
  duration?: string;
}

function positiveNumber(text: string | undefined, flag: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${flag}: "${text}" is not a valid number`, {
      path: flag,
    });
  }
  return value;
}

export function registerServe(program: Command, context: CliContext): void {
  program
    .command('serve')
    .summary('serve the HTTP API over a data directory (no devices polled)')
    .description(
      'Serves the HTTP API (OpenAPI at /docs) over the data directory: records and certificates, the ' +
        'register and its import, coverage, evaluation, standards, and verification sessions by entered ' +
        'values. A config file, when given, supplies the coverage periods and targets, the rule overrides ' +
        'and the http section; no device is polled (use `metrogate start` for that).',
    )
    .option(
      '-c, --config <file>',
      'gateway config (coverage, verification overrides, http); default $METROGATE_CONFIG',
    )
    .addOption(dataDirOption())
    .option('--http-port <n>', "port to listen on (default: the config's http.port, 8080; 0 = any free port)")
    .option('--host <host>', "address to listen on (default: the config's http.host, 127.0.0.1)")
    .option('--duration <s>', 'stop after this many seconds')
    .addHelpText(
      'after',
      '\nExample:\n  metrogate token create --role admin --data-dir ./data\n  metrogate serve --data-dir ./data --http-port 8080',
    )
    .action(async (options: ServeOptions) => {
      process.exitCode = await runServe(options, context);
    });
}

async function runServe(options: ServeOptions, context: CliContext): Promise<number> {
  const out = createOutput(false);
  let store: MetrogateStore | undefined;
  try {
    const port = positiveNumber(options.httpPort, '--http-port', true);
    const duration = positiveNumber(options.duration, '--duration', false);
    const file = options.config ?? process.env.METROGATE_CONFIG;
    const loaded = file ? loadGatewayConfig(file) : undefined;
    const http = httpConfigSchema.parse({
      ...loaded?.config.http,
      ...(port !== undefined ? { port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
    const dataDir = prepareDataDir(options.dataDir ?? loaded?.config.gateway.dataDir);
    store = MetrogateStore.open({ dataDir });
    const server = await startHttpServer(
      {
        store,
        logger: context.logger.child({ part: 'http' }),
        coverage: loaded?.config.coverage ?? DEFAULT_COVERAGE_CONFIG,
        overrides: overridesOf(loaded?.config.verification),
        options: httpOptionsOf(http),
      },
      { port: http.port, host: http.host },
    );
    out.note(`metrogate API on ${server.url} (OpenAPI at ${server.url}/docs), data in ${dataDir}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (duration !== undefined) setTimeout(stop, duration * 1000);
    });
    await server.close();
    return 0;
  } catch (error) {
    return reportError(error, false);
  } finally {
    store?.close();
  }
}
