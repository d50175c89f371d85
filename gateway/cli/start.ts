/**
 * `metrogate start -c gateway.yaml`: runs the gateway service until SIGTERM or SIGINT (or
 * --duration), then stops gracefully: polling stops, the sinks flush what they can, the rest stays
 * in the outbox for the next start.
 */
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { loadGatewayConfig } from '../config/gateway-config.js';
import { type HttpServer, serveGateway } from '../http/server.js';
import { GatewayService } from '../runtime/service.js';
import type { CliContext } from './context.js';
import { dataDirOption, prepareDataDir } from './data-dir.js';
import { createOutput, reportError } from './output.js';

interface StartOptions {
  config?: string;
  dataDir?: string;
  duration?: string;
  flushDeadline: string;
  httpPort?: string;
  httpHost?: string;
}

export function registerStart(program: Command, context: CliContext): void {
  program
    .command('start')
    .summary('run the gateway service: poll the devices, deliver to InfluxDB and MQTT')
    .description(
      'Runs the gateway described by the config file: every device polled on its bus, each reading ' +
        'committed to the outbox (SQLite, in the data directory) before it counts as taken, delivered ' +
        'to InfluxDB and published on MQTT; verification records exported as they appear. Stops on ' +
        'SIGTERM or SIGINT (or after --duration), flushing what it can; the rest is delivered after ' +
        'the next start.',
    )
    .option('-c, --config <file>', 'gateway config (YAML); default $METROGATE_CONFIG')
    .addOption(dataDirOption())
    .option('--duration <s>', 'stop after this many seconds')
    .option('--flush-deadline <ms>', 'how long a stop may spend delivering what is left', '5000')
    .option('--http-port <n>', "serve the HTTP API on this port (default: the config's http.port, else none)")
    .option(
      '--http-host <host>',
      "address the HTTP API listens on (default: the config's http.host, 127.0.0.1)",
    )
    .addHelpText(
      'after',
      '\nExample:\n  metrogate config check gateway.yaml && metrogate start -c gateway.yaml',
    )
    .action(async (options: StartOptions) => {
      process.exitCode = await runStart(options, context);
    });
}

async function runStart(options: StartOptions, context: CliContext): Promise<number> {
  const out = createOutput(false);
  let service: GatewayService | undefined;
  let http: HttpServer | undefined;
  try {
    const file = options.config ?? process.env.METROGATE_CONFIG;
    if (!file)
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        '--config: a gateway config file is required (or $METROGATE_CONFIG)',
        { path: '--config' },
      );
    const loaded = loadGatewayConfig(file);
    const dataDir = prepareDataDir(options.dataDir ?? loaded.config.gateway.dataDir);
    service = await GatewayService.start(loaded, { dataDir, logger: context.logger });
    out.note(
      `metrogate ${loaded.config.gateway.id}: ${loaded.devices.filter((d) => d.enabled).length} devices, data in ${dataDir}, sinks: ${Object.keys(loaded.config.sinks).join(', ') || 'none'}`,
    );
    if (loaded.config.http || options.httpPort !== undefined) {
      const port = options.httpPort === undefined ? undefined : Number(options.httpPort);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `--http-port: "${options.httpPort}" is not a port number`,
          {
            path: '--http-port',
          },
        );
      }
      http = await serveGateway(service, context.logger, {
        ...(port !== undefined ? { port } : {}),
        ...(options.httpHost !== undefined ? { host: options.httpHost } : {}),
      });
      out.note(
        `HTTP API on ${http.url} (OpenAPI at ${http.url}/docs); tokens: metrogate token create --role …`,
      );
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (options.duration) setTimeout(stop, Number(options.duration) * 1000);
    });
    await http?.close();
    out.note('stopping: flushing the sinks');
    const left = await service.stop(Number(options.flushDeadline));
    out.note(`stopped: ${service.counters.readingsTaken} readings taken, ${left} points left in the outbox`);
    return 0;
  } catch (error) {
    await http?.close().catch(() => undefined);
    await service?.stop(1000).catch(() => undefined);
    return reportError(error, false);
  }
}
