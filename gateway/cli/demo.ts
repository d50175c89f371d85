/**
 * `metrogate demo`: the README's main command. On a bare machine: a simulated fleet (scales on every
 * protocol, DART and Modbus dispensers, a taximeter), the real gateway over it with SQLite and an
 * embedded MQTT broker, the seed register, a few automatic verifications, the HTTP API and the
 * dashboards, an admin token. `--duration` stops it cleanly (a test runs it so).
 */
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { type RunningDemo, startDemo } from '../demo/run.js';
import type { LiveEvent } from '../runtime/live-events.js';
import type { CliContext } from './context.js';
import { createOutput, formatTable, reportError } from './output.js';

interface DemoOptions {
  httpPort: string;
  httpHost: string;
  dataDir?: string;
  influx?: string;
  mqtt?: string;
  duration?: string;
  interval: string;
  verify: boolean;
  json?: boolean;
}

export function registerDemo(program: Command, context: CliContext): void {
  program
    .command('demo')
    .summary('run everything on simulated devices: gateway, dashboards, verifications (no servers needed)')
    .description(
      'Starts a simulated fleet — scales on MT-SICS, A&D, Sartorius SBI and Yaohua XK3190 (socat\n' +
        'pseudo-terminals) and Modbus TCP, two DART pumps on one serial bus and a Modbus pump, a JT/T 905\n' +
        'taximeter — and runs the real gateway over it: scheduler, SQLite outbox, MQTT to an embedded\n' +
        'broker (or --mqtt), InfluxDB with --influx. Imports the seed register of Mianyang, runs a few\n' +
        'automatic verifications so that records and certificates exist, serves the HTTP API and the\n' +
        'dashboards, and prints the URL and an admin token (also in <data-dir>/demo-token).',
    )
    .option('--http-port <n>', 'port of the dashboards and API (0: any free port)', '8080')
    .option('--http-host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'keep the data here (default: a temporary directory removed at the end)')
    .option('--influx <url>', 'also write to this InfluxDB 1.x (http://127.0.0.1:8086[/database])')
    .option('--mqtt <url>', 'use this MQTT broker instead of the embedded one (mqtt://host:1883)')
    .option('--duration <s>', 'stop cleanly after this many seconds (default: run until Ctrl-C)')
    .option('--interval <ms>', 'poll interval of every device', '1000')
    .option('--no-verify', 'skip the automatic verifications')
    .option('--json', 'print the ready line and then every live reading as JSON lines')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  npm run demo                                  # then open the printed URL, paste the token\n' +
        '  metrogate demo --http-port 0 --duration 60 --json\n' +
        '  metrogate demo --influx http://127.0.0.1:8086 --mqtt mqtt://127.0.0.1:1883 --data-dir ./demo-data',
    )
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options, context);
    });
}

function positiveNumber(text: string | undefined, flag: string, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${flag}: "${text}" is not a ${integer ? 'whole ' : ''}number`,
      {
        path: flag,
      },
    );
  }
  return value;
}

async function runDemo(options: DemoOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  let demo: RunningDemo | undefined;
  let stopTable: (() => void) | undefined;
  try {
    const duration = positiveNumber(options.duration, '--duration');
    if (duration === 0)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', '--duration: must be more than 0 seconds', {
        path: '--duration',
      });
    const httpPort = positiveNumber(options.httpPort, '--http-port', true) ?? 8080;
    if (httpPort > 65_535)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--http-port: ${httpPort} is not a port`, {
        path: '--http-port',
      });
    const interval = Math.max(200, positiveNumber(options.interval, '--interval') ?? 1000);
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('terminated'));
      if (duration !== undefined) setTimeout(() => resolve('duration reached'), duration * 1000).unref();
    });
    out.note('metrogate demo: starting the simulated fleet and the gateway …');
    demo = await startDemo({
      logger: context.logger,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      httpPort,
      httpHost: options.httpHost,
      ...(options.influx !== undefined ? { influxUrl: options.influx } : {}),
      ...(options.mqtt !== undefined ? { mqttUrl: options.mqtt } : {}),
      pollIntervalMs: interval,
      verify: options.verify,
      note: (text) => out.note(text),
    });
    const running = demo;
    const ready = {
      url: running.url,
      token: running.token,
      tokenFile: running.tokenFile,
      dataDir: running.dataDir,
      mqtt: running.mqttUrl,
      ...(running.influxUrl ? { influx: running.influxUrl } : {}),
      devices: running.fleet.devices.map((device) => device.id as string),
    };
    if (out.json) {
      out.jsonLine({ ready });
      const unsubscribe = running.service.live.subscribe((event: LiveEvent) => {
        if (event.type === 'reading') out.jsonLine(event.reading);
        else out.jsonLine(event);
      });
      stopTable = unsubscribe;
    } else {
      out.line(`metrogate demo is running with ${ready.devices.length} simulated devices`);
      out.line(`  dashboards   ${running.url}/`);
      out.line(`  API docs     ${running.url}/docs`);
      out.line(`  admin token  ${running.token}   (also in ${running.tokenFile})`);
      out.line(`  MQTT         ${running.mqttUrl} (topics metrogate/metrogate-demo/#)`);
      if (running.influxUrl) out.line(`  InfluxDB     ${running.influxUrl}`);
      out.line(`  data         ${running.dataDir}`);
      out.line(duration ? `stopping after ${duration} s` : 'Ctrl-C stops it.');
      stopTable = startLiveTable(running, out.line, interval * 5);
    }
    const why = await stopped;
    out.note(`metrogate demo: ${why}; stopping …`);
    stopTable?.();
    const taken = running.service.counters.readingsTaken;
    await running.close();
    demo = undefined;
    out.note(`metrogate demo stopped: ${taken} readings taken`);
    return 0;
  } catch (error) {
    stopTable?.();
    await demo?.close().catch(() => undefined);
    return reportError(error, out.json);
  }
}

/** Every few seconds, the latest reading of each device (a table is enough; the dashboards do more). */
function startLiveTable(demo: RunningDemo, line: (text: string) => void, everyMs: number): () => void {
  const latest = new Map<string, Map<string, { value: string; unit: string; quality: string }>>();
  const unsubscribe = demo.service.live.subscribe((event) => {
    if (event.type !== 'reading') return;
    const { device, channel, value, unit, quality } = event.reading;
    let channels = latest.get(device);
    if (!channels) {
      channels = new Map();
      latest.set(device, channels);
    }
    channels.set(channel, { value, unit, quality });
  });
  const timer = setInterval(() => {
    const rows: string[][] = [];
    for (const device of demo.fleet.devices) {
      const id = device.id as string;
      const channels = latest.get(id);
      const shown = channels ? [...channels].slice(0, 3) : [];
      rows.push([
        id,
        device.driver as string,
        shown.map(([channel, r]) => `${channel} ${r.value}${r.unit ? ` ${r.unit}` : ''}`).join(', ') || '-',
        shown[0]?.[1].quality ?? '-',
      ]);
    }
    line(
      `\n${new Date().toISOString().slice(11, 19)}  ${demo.service.counters.readingsTaken} readings taken`,
    );
    line(formatTable(['device', 'driver', 'latest', 'quality'], rows));
  }, everyMs);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
