/**
 * `metrogate sim scale`: runs a simulated scale on a pty (printing the path a driver should open),
 * on a Modbus TCP port or on a Modbus RTU pty, with its control API on localhost.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { parseLineSettings } from '../../drivers/transport/serial-settings.js';
import { startControlServer } from '../../simulators/control-http.js';
import { startDispenserControlServer } from '../../simulators/dispenser/control-http.js';
import {
  DISPENSER_PROTOCOL_IDS,
  type DispenserSimTransport,
  startDispenserSimulator,
} from '../../simulators/dispenser/index.js';
import type { DispenserModelParams } from '../../simulators/dispenser/model.js';
import {
  isScaleProtocol,
  SCALE_PROTOCOL_IDS,
  type ScaleSimTransport,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import type { ScaleModelParams } from '../../simulators/scale/model.js';
import { startTaximeterControlServer } from '../../simulators/taximeter/control-http.js';
import { startTaximeterSimulator } from '../../simulators/taximeter/index.js';
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
  sim
    .command('dispenser')
    .summary('fuel dispensers on a DART bus (pty) or Modbus')
    .addOption(
      new Option('--protocol <protocol>', 'protocol the dispenser speaks')
        .choices([...DISPENSER_PROTOCOL_IDS])
        .makeOptionMandatory(),
    )
    .option('--pty', 'serve DART on a new pseudo-terminal pair (default for dart)')
    .option('--link <path>', 'with --pty or --rtu: the gateway-side path to create')
    .option('--tcp-port <n>', 'modbus: serve Modbus TCP on this port (0 = any free port)')
    .option('--rtu', 'modbus: serve Modbus RTU on a new pseudo-terminal pair')
    .option('--pumps <addresses>', 'pump addresses on the bus (DART 0x50–0x6F; Modbus unit ids)', '')
    .option('--line <settings>', 'line settings, e.g. "9600 8O1" (default: the protocol\'s)')
    .option('--time-scale <n>', 'simulated seconds per real second (deliveries run faster)', '1')
    .option(
      '--meter-error <curve>',
      'meter error by flow, "flow:percent,…" in L/min and %, e.g. "5:0.2,50:-0.1"',
    )
    .option('--meter-offset <percent>', 'constant meter error added at every flow, %', '0')
    .option(
      '--param <key=value>',
      'model parameter: maxFlow, minFlow, priceRounding, maxAmount, fuel, identity (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('-o, --option <key=value>', 'protocol option (repeatable)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option('--control-port <n>', 'port of the control API on 127.0.0.1 (0 = any free port)', '0')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--json', 'print the ready line as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  metrogate sim dispenser --protocol dart --pumps 0x50,0x51 --time-scale 20 --meter-error "5:0.2,50:-0.1"\n' +
        '  metrogate sim dispenser --protocol modbus --tcp-port 5021\n' +
        '  curl -X POST localhost:PORT/pumps/0x50/deliver -d \'{"nozzle":1,"flow":"40","volume":"20"}\'',
    )
    .action(async (options: SimDispenserOptions) => {
      process.exitCode = await runSimDispenser(options, context);
    });
  sim
    .command('taximeter')
    .summary('a taximeter speaking JT/T 905 on a pty, driven by trips or bench pulses')
    .option('--link <path>', 'the gateway-side pty path to create (default: a temporary path)')
    .option('--line <settings>', 'line settings (default 9600 8N1; UNCONFIRMED for JT/T 905)')
    .option('--k <pulses>', 'meter constant k as programmed, pulses per km', '1000')
    .option('--vehicle-k <pulses>', 'pulses per km the vehicle really gives (installed distance error)')
    .option('--distance-error <percent>', 'distance error of the meter, %', '0')
    .option('--time-error <percent>', 'time error of the meter clock, %', '0')
    .option(
      '--tariff <list>',
      'tariff, e.g. "flagFall=10,includedDistance=2000,distanceRate=2,timeRate=30,mode=D,fareResolution=0.1"',
    )
    .option(
      '--time-scale <n>',
      'simulated seconds per real second for drives, waits and pulses (0 = instant)',
      '1',
    )
    .option(
      '--param <key=value>',
      'other model parameters (repeatable; see simulators/taximeter/README.md)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option(
      '-o, --option <key=value>',
      'protocol option, e.g. resendAfterMs=2000 (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('--control-port <n>', 'port of the control API on 127.0.0.1 (0 = any free port)', '0')
    .option('--duration <s>', 'stop after this many seconds')
    .option('--json', 'print the ready line as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  metrogate sim taximeter --k 1000 --distance-error 0.5 --time-scale 0\n' +
        '  curl -X POST localhost:PORT/trip/start; curl -X POST localhost:PORT/drive -d \'{"speed":"40","distance":"5000"}\'; curl -X POST localhost:PORT/trip/stop',
    )
    .action(async (options: SimTaximeterOptions) => {
      process.exitCode = await runSimTaximeter(options, context);
    });
}

interface SimTaximeterOptions {
  link?: string;
  line?: string;
  k: string;
  vehicleK?: string;
  distanceError: string;
  timeError: string;
  tariff?: string;
  timeScale: string;
  param?: string[];
  option?: string[];
  controlPort: string;
  duration?: string;
  json?: boolean;
}

/** "flagFall=10,includedDistance=2000,mode=D" -> an object of text values. */
function tariffOf(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const tariff: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--tariff: "${pair}" is not key=value`, {
        path: '--tariff',
      });
    tariff[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return tariff;
}

async function runSimTaximeter(options: SimTaximeterOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  try {
    const line = options.line ? parseLineSettings(options.line) : undefined;
    if (options.line && !line)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--line: "${options.line}" is not like "9600 8N1"`, {
        path: '--line',
      });
    const timeScale = Number(options.timeScale);
    if (!(timeScale >= 0))
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--time-scale: "${options.timeScale}" must be 0 or more`,
        { path: '--time-scale' },
      );
    const tariff = tariffOf(options.tariff);
    const simulator = await startTaximeterSimulator({
      transport: 'pty',
      params: {
        k: options.k,
        ...(options.vehicleK ? { vehicleK: options.vehicleK } : {}),
        distanceErrorPercent: options.distanceError,
        timeErrorPercent: options.timeError,
        ...(tariff ? { tariff } : {}),
        ...keyValues(options.param, '--param'),
      } as Parameters<typeof startTaximeterSimulator>[0]['params'],
      timeScale,
      ...(line ? { line } : {}),
      protocolOptions: keyValues(options.option, '--option'),
      ...(options.link ? { gatewayPath: options.link } : {}),
      logger: context.logger,
    });
    const control = await startTaximeterControlServer(simulator, Number(options.controlPort));
    const endpoint = simulator.endpoint;
    const ready = {
      protocol: 'jtt905',
      ...(endpoint.kind === 'serial' ? { port: endpoint.path } : {}),
      k: options.k,
      line: simulator.line,
      control: control.url,
    };
    if (out.json) out.jsonLine(ready);
    else {
      out.line('simulated JT/T 905 taximeter ready');
      for (const [key, value] of Object.entries(ready))
        out.line(`  ${key.padEnd(9)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      out.line('Ctrl-C stops it.');
    }
    await waitForStop(options.duration);
    await control.close();
    await simulator.close();
    return 0;
  } catch (error) {
    return reportError(error, out.json);
  }
}

interface SimDispenserOptions {
  protocol: string;
  pty?: boolean;
  link?: string;
  tcpPort?: string;
  rtu?: boolean;
  pumps: string;
  line?: string;
  timeScale: string;
  meterError?: string;
  meterOffset: string;
  param?: string[];
  option?: string[];
  controlPort: string;
  duration?: string;
  json?: boolean;
}

function parseMeterCurve(text: string | undefined): { flow: string; errorPercent: string }[] {
  if (!text) return [];
  return text.split(',').map((pair) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(pair);
    if (!match)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--meter-error: "${pair}" is not flow:percent`, {
        path: '--meter-error',
      });
    return { flow: match[1]!, errorPercent: match[2]! };
  });
}

async function runSimDispenser(options: SimDispenserOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  try {
    const protocol = options.protocol as (typeof DISPENSER_PROTOCOL_IDS)[number];
    const transport: DispenserSimTransport = protocol === 'dart' ? 'pty' : options.rtu ? 'rtu-pty' : 'tcp';
    const line = options.line ? parseLineSettings(options.line) : undefined;
    if (options.line && !line)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--line: "${options.line}" is not like "9600 8O1"`, {
        path: '--line',
      });
    const addresses = options.pumps
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean)
      .map((a) => {
        const n = /^0x/i.test(a) ? Number.parseInt(a, 16) : Number(a);
        if (!Number.isInteger(n) || n < 0 || n > 255)
          throw new MetrogateError('MG_ERR_INPUT_INVALID', `--pumps: "${a}" is not an address`, {
            path: '--pumps',
          });
        return n;
      });
    const timeScale = Number(options.timeScale);
    if (!(timeScale > 0))
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--time-scale: "${options.timeScale}" must be a positive number`,
        { path: '--time-scale' },
      );
    const params: Partial<DispenserModelParams> = {
      timeScale,
      meterError: { offsetPercent: options.meterOffset, curve: parseMeterCurve(options.meterError) },
      ...(keyValues(options.param, '--param') as Partial<DispenserModelParams>),
    };
    const defaults = protocol === 'dart' ? [0x50] : [1];
    const simulator = await startDispenserSimulator({
      protocol,
      transport,
      pumps: (addresses.length > 0 ? addresses : defaults).map((address) => ({ address, params })),
      ...(line ? { line } : {}),
      protocolOptions: keyValues(options.option, '--option'),
      ...(options.tcpPort !== undefined ? { tcpPort: Number(options.tcpPort) } : { tcpPort: 0 }),
      host: '127.0.0.1',
      ...(options.link ? { gatewayPath: options.link } : {}),
      logger: context.logger,
    });
    const control = await startDispenserControlServer(simulator, Number(options.controlPort));
    const endpoint = simulator.endpoint;
    const connect =
      endpoint.kind === 'serial' || endpoint.kind === 'modbus-rtu'
        ? { port: endpoint.path }
        : endpoint.kind === 'modbus-tcp'
          ? { host: endpoint.host, tcpPort: endpoint.port }
          : {};
    const ready = {
      protocol,
      ...connect,
      pumps: [...simulator.pumps.keys()],
      line: simulator.line,
      control: control.url,
    };
    if (out.json) out.jsonLine(ready);
    else {
      out.line(`simulated ${protocol} dispenser${simulator.pumps.size > 1 ? 's' : ''} ready`);
      for (const [key, value] of Object.entries(ready))
        out.line(`  ${key.padEnd(9)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      out.line('Ctrl-C stops it.');
    }
    await waitForStop(options.duration);
    await control.close();
    await simulator.close();
    return 0;
  } catch (error) {
    return reportError(error, out.json);
  }
}

function waitForStop(duration: string | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (duration) setTimeout(stop, Number(duration) * 1000).unref();
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
    await waitForStop(options.duration);
    await control.close();
    await simulator.close();
    return 0;
  } catch (error) {
    return reportError(error, out.json);
  }
}
