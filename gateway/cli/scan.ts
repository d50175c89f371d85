/**
 * `metrogate scan --port PATH`: which scale protocol, baud rate and parity is on this port?
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { scannableDrivers } from '../../drivers/registry.js';
import { formatLineSettings } from '../../drivers/transport/serial-settings.js';
import { DEFAULT_SCAN_BAUDS, DEFAULT_SCAN_FRAMINGS, scanPort } from '../discovery/scan.js';
import type { CliContext } from './context.js';
import { createOutput, EXIT_FAILED, EXIT_OK, formatTable, reportError } from './output.js';

interface ScanCliOptions {
  port: string;
  bauds?: string;
  framings?: string;
  protocols?: string;
  listen: string;
  timeout: string;
  all?: boolean;
  json?: boolean;
}

function list(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${flag}: empty list`, { path: flag });
  return items;
}

export function registerScan(program: Command, context: CliContext): void {
  program
    .command('scan')
    .summary('find the protocol, baud rate and parity of a scale on a serial port')
    .description(
      'Tries every serial scale protocol metrogate knows at each baud rate and framing: first listens\n' +
        "for continuous output, then sends each protocol's identification command. Each probe has a\n" +
        'deadline, so the scan always ends. Stops at the first match unless --all.',
    )
    .requiredOption('--port <path>', 'serial port to scan, e.g. /dev/ttyUSB0')
    .option('--bauds <list>', `baud rates to try (default ${DEFAULT_SCAN_BAUDS.join(',')})`)
    .option(
      '--framings <list>',
      `data bits, parity, stop bits to try (default ${DEFAULT_SCAN_FRAMINGS.join(',')})`,
    )
    .option('--protocols <ids>', 'driver ids to try (default: every serial scale driver)')
    .option('--listen <ms>', 'time to listen for continuous output at each setting', '300')
    .option('--timeout <ms>', 'deadline of each probe', '250')
    .option('--all', 'report every match instead of stopping at the first')
    .option('--json', 'print the matches as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  metrogate scan --port /dev/ttyUSB0\n  metrogate scan --port /dev/ttyUSB0 --bauds 1200,2400,9600 --framings 7O1,8N1 --json',
    )
    .action(async (options: ScanCliOptions) => {
      process.exitCode = await runScan(options, context);
    });
}

async function runScan(options: ScanCliOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  const bar = new SingleBar({
    format: 'scanning {bar} {value}/{total} {settings} {driver}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  let started = false;
  try {
    const wanted = list(options.protocols, '--protocols');
    const drivers = scannableDrivers().filter((d) => !wanted || wanted.includes(d.id));
    if (wanted) {
      const unknown = wanted.filter((id) => !drivers.some((d) => d.id === id));
      if (unknown.length > 0) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `--protocols: ${unknown.join(', ')} cannot be scanned; scannable: ${scannableDrivers()
            .map((d) => d.id)
            .join(', ')}`,
          { path: '--protocols' },
        );
      }
    }
    const bauds = list(options.bauds, '--bauds')?.map((b) => {
      if (!/^\d+$/.test(b))
        throw new MetrogateError('MG_ERR_INPUT_INVALID', `--bauds: "${b}" is not a baud rate`, {
          path: '--bauds',
        });
      return Number(b);
    });
    const hits = await scanPort({
      port: options.port,
      drivers,
      ...(bauds ? { bauds } : {}),
      ...(options.framings ? { framings: list(options.framings, '--framings')! } : {}),
      listenMs: Number(options.listen),
      probeTimeoutMs: Number(options.timeout),
      all: options.all === true,
      signal: abort.signal,
      logger: context.logger,
      onProgress: (progress) => {
        if (!started) {
          bar.start(progress.total, 0, { settings: '', driver: '' });
          started = true;
        }
        bar.update(progress.step, { settings: progress.settings, driver: progress.driver });
      },
    });
    if (started) bar.stop();
    if (out.json) {
      out.jsonLine({
        port: options.port,
        matches: hits.map((h) => ({
          driver: h.driver,
          settings: { ...h.settings, text: formatLineSettings(h.settings) },
          detectedBy: h.detectedBy,
          identity: h.identity,
        })),
      });
    } else if (hits.length === 0) {
      out.line(`no known scale protocol answered on ${options.port}`);
    } else {
      out.line(
        formatTable(
          ['driver', 'settings', 'detected by', 'identity'],
          hits.map((h) => [
            h.driver,
            formatLineSettings(h.settings),
            h.detectedBy,
            Object.entries(h.identity)
              .filter(([, v]) => v)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          ]),
        ),
      );
      const best = hits[0]!;
      const s = best.settings;
      out.line(
        `\nread it with: metrogate read ${best.driver} --port ${options.port} --baud ${s.baudRate} --data-bits ${s.dataBits} --parity ${s.parity} --stop-bits ${s.stopBits}`,
      );
    }
    if (hits.length === 0) {
      reportError(
        new MetrogateError(
          'MG_ERR_PROTOCOL_NOT_DETECTED',
          `no supported protocol answered on ${options.port}`,
          { port: options.port },
        ),
        out.json,
      );
      return EXIT_FAILED;
    }
    return EXIT_OK;
  } catch (error) {
    if (started) bar.stop();
    return reportError(error, out.json);
  } finally {
    process.off('SIGINT', onSignal);
  }
}
