/** `metrogate drivers`: the drivers this build has, with their transport and factory settings. */
import type { Command } from 'commander';
import { DRIVERS } from '../../drivers/registry.js';
import { formatLineSettings } from '../../drivers/transport/serial-settings.js';
import { createOutput, formatTable } from './output.js';

export function registerDrivers(program: Command): void {
  program
    .command('drivers')
    .summary('list the device drivers')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }) => {
      const out = createOutput(options.json === true);
      const rows = Object.values(DRIVERS).map((d) => ({
        id: d.id,
        title: d.title,
        kind: d.kind,
        transport: d.transport,
        defaultLine: d.defaultLineSettings ? formatLineSettings(d.defaultLineSettings) : null,
        scan: d.scan !== undefined,
        channels: d.channels.map((c) => c.name),
      }));
      if (out.json) out.jsonLine(rows);
      else {
        out.line(
          formatTable(
            ['driver', 'device family', 'kind', 'transport', 'factory line', 'scan', 'channels'],
            rows.map((r) => [
              r.id,
              r.title,
              r.kind,
              r.transport,
              r.defaultLine ?? '-',
              r.scan ? 'yes' : '-',
              r.channels.join(', '),
            ]),
          ),
        );
      }
    });
}
