/**
 * `metrogate demo`: the README's main command. For now: a simulated scale fleet read through the
 * real drivers, printed live. Later issues add the gateway service, the dashboards and coverage.
 */
import type { Command } from 'commander';
import { delay } from '../../drivers/abort.js';
import { MetrogateError } from '../../drivers/errors.js';
import { startScaleFleet } from '../demo/scale-fleet.js';
import type { CliContext } from './context.js';
import { createOutput, formatTable, reportError } from './output.js';
import { readingToJson } from './read.js';

interface DemoOptions {
  duration?: string;
  interval: string;
  json?: boolean;
}

export function registerDemo(program: Command, context: CliContext): void {
  program
    .command('demo')
    .summary('run a simulated fleet of scales through the real drivers (no servers needed)')
    .description(
      'Starts one simulated scale per protocol (MT-SICS, A&D, Sartorius SBI, Yaohua XK3190 on\n' +
        'pseudo-terminals, a Modbus weighing transmitter on TCP), connects the real drivers and prints\n' +
        'the live readings. Loads change every few seconds, as on a market counter.',
    )
    .option('--duration <s>', 'stop cleanly after this many seconds (default: run until Ctrl-C)')
    .option('--interval <ms>', 'poll interval', '500')
    .option('--json', 'print each reading as a JSON line instead of the live table')
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options, context);
    });
}

async function runDemo(options: DemoOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('stopped'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let fleet: Awaited<ReturnType<typeof startScaleFleet>> | undefined;
  try {
    const duration = options.duration === undefined ? undefined : Number(options.duration);
    if (duration !== undefined && (!Number.isFinite(duration) || duration <= 0)) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--duration: "${options.duration}" is not a number of seconds`,
        {
          path: '--duration',
        },
      );
    }
    const interval = Math.max(100, Number(options.interval) || 500);
    if (duration !== undefined)
      setTimeout(() => stop.abort(new Error('duration reached')), duration * 1000).unref();
    fleet = await startScaleFleet(context.logger);
    out.note(
      `metrogate demo: ${fleet.members.length} simulated scales (serial over ${fleet.serialTransport === 'pty' ? 'socat pseudo-terminals' : 'in-memory links: install socat for real ptys'}, Modbus over TCP)` +
        (duration ? `, stopping after ${duration} s` : ', Ctrl-C stops'),
    );
    const live = !out.json && process.stdout.isTTY === true;
    let drawnLines = 0;
    let tick = 0;
    const polls = new Map<string, { ok: number; failed: number }>();
    while (!stop.signal.aborted) {
      const started = Date.now();
      // A new customer at one counter every few polls.
      if (tick % 6 === 0) fleet.shuffleLoad((tick / 6) % fleet.members.length);
      tick++;
      const results = await fleet.pollAll(AbortSignal.any([stop.signal, AbortSignal.timeout(3000)]));
      if (stop.signal.aborted) break;
      const rows: string[][] = [];
      for (const { member, result, error } of results) {
        const count = polls.get(member.deviceId) ?? { ok: 0, failed: 0 };
        polls.set(member.deviceId, count);
        if (result) {
          count.ok++;
          for (const reading of result.readings) {
            if (out.json) out.jsonLine(readingToJson(reading));
            rows.push([
              member.deviceId,
              member.driverId,
              `${member.transport}`,
              reading.channel,
              reading.value,
              reading.unit,
              reading.quality,
              `${count.ok}/${count.ok + count.failed}`,
            ]);
          }
        } else {
          count.failed++;
          const code = error instanceof MetrogateError ? error.code : 'error';
          if (out.json)
            out.jsonLine({
              device: member.deviceId,
              error: code,
              message: String((error as Error)?.message ?? error),
            });
          rows.push([
            member.deviceId,
            member.driverId,
            member.transport,
            '-',
            '-',
            '-',
            code,
            `${count.ok}/${count.ok + count.failed}`,
          ]);
        }
      }
      if (!out.json) {
        const table = formatTable(
          ['device', 'driver', 'transport', 'channel', 'value', 'unit', 'quality', 'polls ok'],
          rows,
        );
        if (live && drawnLines > 0) process.stdout.write(`\x1b[${drawnLines}A\x1b[J`);
        out.line(table);
        drawnLines = table.split('\n').length;
        if (!live) out.line('');
      }
      const wait = interval - (Date.now() - started);
      if (wait > 0) await delay(wait, stop.signal).catch(() => undefined);
    }
    return 0;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fleet?.close();
  }
}
