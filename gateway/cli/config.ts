/**
 * `metrogate config check FILE` and `metrogate config migrate FILE`: validate a gateway config the
 * way `start` will (every device against its driver's schema, env variables resolved), and rewrite
 * an older version to the current one (keeping a backup).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { MetrogateError } from '../../drivers/errors.js';
import { CURRENT_CONFIG_VERSION, loadGatewayConfig, migrateConfig } from '../config/gateway-config.js';
import type { CliContext } from './context.js';
import { createOutput, EXIT_OK, formatTable, reportError } from './output.js';

export function registerConfig(program: Command, context: CliContext): void {
  void context;
  const config = program.command('config').summary('check or migrate a gateway config file');
  config
    .command('check')
    .argument('<file>', 'gateway config (YAML)')
    .summary('validate a config as `metrogate start` would')
    .description(
      "Validates the file, every device against its driver's settings, and the environment variables it uses (${NAME}); errors name the field at fault, e.g. devices[3].port.",
    )
    .option('--json', 'print the summary as JSON')
    .action((file: string, options: { json?: boolean }) => {
      const out = createOutput(options.json === true);
      try {
        const loaded = loadGatewayConfig(file);
        const { config: parsed, devices } = loaded;
        const summary = {
          file,
          version: parsed.version,
          ...(loaded.migratedFrom !== undefined ? { migratedFrom: loaded.migratedFrom } : {}),
          gateway: parsed.gateway.id,
          devices: devices.map((d) => ({
            id: d.id,
            driver: d.driverId,
            instrumentId: d.instrumentId ?? null,
            region: d.region ?? null,
            pollIntervalMs: d.pollIntervalMs,
            enabled: d.enabled,
          })),
          sinks: Object.keys(parsed.sinks),
        };
        if (out.json) out.jsonLine({ ok: true, ...summary });
        else {
          out.line(
            `${file}: valid (version ${parsed.version}${loaded.migratedFrom !== undefined ? `, migrated from ${loaded.migratedFrom}: run \`metrogate config migrate ${file}\` to rewrite it` : ''})`,
          );
          out.line(
            `gateway ${parsed.gateway.id}; sinks: ${summary.sinks.join(', ') || 'none (readings stay in the outbox)'}`,
          );
          if (devices.length > 0) {
            out.line(
              formatTable(
                ['device', 'driver', 'instrument', 'region', 'poll ms', 'enabled'],
                summary.devices.map((d) => [
                  d.id,
                  d.driver,
                  d.instrumentId ?? '-',
                  d.region ?? '-',
                  String(d.pollIntervalMs),
                  d.enabled ? 'yes' : 'no',
                ]),
              ),
            );
          }
        }
        process.exitCode = EXIT_OK;
      } catch (error) {
        process.exitCode = reportError(error, out.json);
      }
    });
  config
    .command('migrate')
    .argument('<file>', 'gateway config (YAML) of an older version')
    .summary(`rewrite a config in the current version (${CURRENT_CONFIG_VERSION}), keeping FILE.bak`)
    .action((file: string) => {
      const out = createOutput(false);
      try {
        let document: unknown;
        try {
          document = parseYaml(readFileSync(file, 'utf8'));
        } catch (error) {
          throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: ${(error as Error).message}`, {
            path: '(file)',
          });
        }
        if (typeof document !== 'object' || document === null || Array.isArray(document)) {
          throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: expected a mapping at the top level`, {
            path: '(root)',
          });
        }
        const migrated = migrateConfig(document as Record<string, unknown>);
        if (migrated.applied.length === 0) {
          out.line(`${file} is already version ${CURRENT_CONFIG_VERSION}`);
          return;
        }
        copyFileSync(file, `${file}.bak`);
        writeFileSync(file, stringifyYaml(migrated.document));
        for (const step of migrated.applied)
          out.line(`version ${step.from} → ${step.to}: ${step.description}`);
        out.line(`${file} rewritten; the original is ${file}.bak`);
        loadGatewayConfig(file);
      } catch (error) {
        process.exitCode = reportError(error, false);
      }
    });
}
