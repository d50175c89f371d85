/**
 * `metrogate sim scale`: runs a simulated scale on a pty (printing the path a driver should open),
 * on a Modbus TCP port or on a Modbus RTU pty, with its control API on localhost.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { parseLineSettings } from '../../drivers/transport/serial-settings.js';
import { startControlServer } from '../../simulators/control-http.js';
import {
  isScaleProtocol,
  SCALE_PROTOCOL_IDS,
  type ScaleSimTransport,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import type { ScaleModelParams } from '../../simulators/scale/model.js';
import type { CliContext } from './context.js';
import { createOutput, reportError } from './output.js';

interface SimScaleOptions {
  protocol: string;
  pty?: boolean;
  tcpPort?: string;
  rtu?: boolean;
  link?: string;
  line?: string;
  controlPort: string;
  max?: string;
  e?: string;
  d?: string;
  unit?: string;
  load?: string;
  param?: string[];
  option?: string[];
  emulateWire?: boolean;
  duration?: string;
  json?: boolean;
}

function keyValues(pairs: string[] | undefined, flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `${flag} ${pair}: expected key=value`, { path: flag });
    const value = pair.slice(eq + 1);
    out[pair.slice(0, eq)] = /^\d+$/.test(value) && !/^0\d/.test(value) ? Number(value) : value;
  }
  return out;
}

export function registerSim(program: Command, context: CliContext): void {
  const sim = program
    .command('sim')
    .summary('run a device simulator')
    .description(
      'Simulated instruments for tests, demos and training. Each runs until Ctrl-C (or --duration)\n' +
        'and prints where a driver should connect and the URL of its control API.',
    );
  sim
    .command('scale')
    .summary('a weighing instrument on a serial pty or Modbus')
    .addOption(
      new Option('--protocol <protocol>', 'protocol the scale speaks')
        .choices([...SCALE_PROTOCOL_IDS])
        .makeOptionMandatory(),
    )
    .option('--pty', 'serve on a new pseudo-terminal pair (default for serial protocols)')
    .option(
      '--link <path>',
      'with --pty or --rtu: the gateway-side path to create (default: a temporary path)',
    )
    .option('--tcp-port <n>', 'modbus: serve Modbus TCP on this port (0 = any free port)')
    .option('--rtu', 'modbus: serve Modbus RTU on a new pseudo-terminal pair')
    .option(
      '--line <settings>',
      'device line settings, e.g. "9600 8N1" or "2400,7,E,1" (default: the protocol\'s)',
    )
    .option('--control-port <n>', 'port of the control API on 127.0.0.1 (0 = any free port)', '0')
    .option('--max <capacity>', 'maximum capacity', '15000')
    .option('--e <interval>', 'verification scale interval e', '5')
    .option('--d <interval>', 'display interval d (default: e)')
    .option('--unit <unit>', 'unit of the display', 'g')
    .option('--load <load>', 'initial load on the platform', '0')
    .option(
      '--param <key=value>',
      'error model: zeroOffset, spanError, nonLinearity, noise, driftPerHour, settlingMs, seed (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option(
      '-o, --option <key=value>',
      'protocol option, e.g. mode=stream or format=22 (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--emulate-wire', "delay frames by their time on the wire at the line's baud rate")
    .option('--duration <s>', 'stop after this many seconds')
    .option('--json', 'print the ready line as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  metrogate sim scale --protocol mt-sics --pty --max 30 --e 0.01 --unit kg\n' +
        '  metrogate sim scale --protocol xk3190 --line "9600 8N1" -o format=tf0\n' +
        '  metrogate sim scale --protocol modbus --tcp-port 5020 -o preset=dgt4x\n' +
        '  curl -X POST localhost:PORT/load -d \'{"load":"12.5","position":"q2"}\'',
    )
    .action(async (options: SimScaleOptions) => {
      process.exitCode = await runSimScale(options, context);
    });
}

async function runSimScale(options: SimScaleOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  try {
    if (!isScaleProtocol(options.protocol)) {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--protocol: unknown "${options.protocol}"`, {
        path: '--protocol',
      });
    }
    const isModbus = options.protocol === 'modbus';
    let transport: ScaleSimTransport = 'pty';
    if (isModbus) transport = options.rtu ? 'rtu-pty' : 'tcp';
    else if (options.tcpPort !== undefined || options.rtu) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        '--tcp-port and --rtu apply to --protocol modbus only',
        { path: '--protocol' },
      );
    }
    const line = options.line ? parseLineSettings(options.line) : undefined;
    if (options.line && !line) {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--line: "${options.line}" is not like "9600 8N1"`, {
        path: '--line',
      });
    }
    const params: Partial<ScaleModelParams> = {
      max: options.max ?? '15000',
      e: options.e ?? '5',
      d: options.d ?? options.e ?? '5',
      unit: options.unit ?? 'g',
      ...(keyValues(options.param, '--param') as Partial<ScaleModelParams>),
    };
    const simulator = await startScaleSimulator({
      protocol: options.protocol,
      transport,
      params,
      ...(line ? { line } : {}),
      protocolOptions: keyValues(options.option, '--option'),
      ...(options.emulateWire ? { emulateWireTime: true } : {}),
      ...(options.tcpPort !== undefined
        ? { tcpPort: Number(options.tcpPort), host: '127.0.0.1' }
        : { tcpPort: 0, host: '127.0.0.1' }),
      ...(options.link ? { gatewayPath: options.link } : {}),
      logger: context.logger,
    });
    if (options.load) simulator.model.setLoad(options.load);
    const control = await startControlServer(simulator, Number(options.controlPort));
    const endpoint = simulator.endpoint;
    const connect =
      endpoint.kind === 'serial' || endpoint.kind === 'modbus-rtu'
        ? { port: endpoint.kind === 'serial' ? endpoint.path : endpoint.path }
        : endpoint.kind === 'modbus-tcp'
          ? { host: endpoint.host, tcpPort: endpoint.port }
          : {};
    const ready = { protocol: options.protocol, ...connect, line: simulator.line, control: control.url };
    if (out.json) out.jsonLine(ready);
    else {
      out.line(`simulated ${options.protocol} scale ready`);
      for (const [key, value] of Object.entries(ready)) {
        out.line(`  ${key.padEnd(9)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      }
      out.line('Ctrl-C stops it.');
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (options.duration) setTimeout(stop, Number(options.duration) * 1000).unref();
    });
    await control.close();
    await simulator.close();
    return 0;
  } catch (error) {
    return reportError(error, out.json);
  }
}
