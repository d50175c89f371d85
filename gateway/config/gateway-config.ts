/**
 * The gateway's configuration file (`metrogate start -c gateway.yaml`): devices, scheduler, outbox,
 * sinks and the verification overrides. Validated by zod; every error names its field
 * (`devices[3].port`), device settings are validated by their own driver's schema; `${NAME}` in any
 * string is replaced by the environment variable NAME (`${NAME:-default}` with a default), so secrets
 * need not be in the file; the file carries a `version` and older versions are migrated.
 *
 *   version: 1
 *   gateway: { id: market-gw-01, region: 涪城区 }
 *   devices:
 *     - { id: counter-1, driver: scale-mtsics, port: /dev/ttyUSB0, instrumentId: SC-0042, pollIntervalMs: 1000 }
 *   sinks:
 *     influx: { url: "http://127.0.0.1:8086/metrogate" }
 *     mqtt: { url: "mqtt://127.0.0.1:1883", password: "${MQTT_PASSWORD}" }
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { DriverDefinition } from '../../drivers/definition.js';
import { MetrogateError } from '../../drivers/errors.js';
import { driverIds, getDriver } from '../../drivers/registry.js';
import { verificationConfigSchema } from './verification-config.js';

export const CURRENT_CONFIG_VERSION = 1;

const GATEWAY_KEYS = ['id', 'driver', 'instrumentId', 'region', 'pollIntervalMs', 'enabled'] as const;

const deviceEnvelopeSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[^\s/#+]+$/, 'no spaces, slashes, # or + (it becomes an MQTT topic level)'),
    driver: z.string().min(1),
    /** Register id of the instrument (器具编号), tags its readings. */
    instrumentId: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    pollIntervalMs: z.number().int().min(50).max(86_400_000).default(1000),
    enabled: z.boolean().default(true),
  })
  .passthrough();

const backoffSchema = z
  .object({
    initialMs: z.number().int().min(10).max(3_600_000).default(1000),
    maxMs: z.number().int().min(10).max(86_400_000).default(60_000),
    factor: z.number().min(1).max(10).default(2),
  })
  .strict();

const rateText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'expected a rate between 0 and 1, e.g. "0.90"'));

/**
 * Coverage indicators (contracts.md §6): verification periods per kind (an instrument's own period
 * in the register wins), targets per region and kind (the most specific rule wins; 0.90 is the city
 * plans' figure, the national plan's 0.95 is one line away), and when the indicators are recomputed.
 */
export const coverageConfigSchema = z
  .object({
    periods: z
      .object({
        scale: z.number().int().min(1).max(120).default(12),
        dispenser: z.number().int().min(1).max(120).default(6),
        taximeter: z.number().int().min(1).max(120).default(12),
      })
      .strict()
      .default({ scale: 12, dispenser: 6, taximeter: 12 }),
    targets: z
      .object({
        default: rateText.default('0.90'),
        rules: z
          .array(
            z
              .object({
                region: z.string().min(1).optional(),
                kind: z.enum(['scale', 'dispenser', 'taximeter']).optional(),
                target: rateText,
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ default: '0.90', rules: [] }),
    /** Local time of the daily recomputation (HH:MM). */
    recomputeAt: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
      .default('02:00'),
  })
  .strict();

export type CoverageConfig = z.infer<typeof coverageConfigSchema>;

export const DEFAULT_COVERAGE_CONFIG: CoverageConfig = coverageConfigSchema.parse({});

/**
 * The HTTP API and dashboards (gateway/http). Absent: `metrogate start` serves no HTTP unless given
 * --http-port. The default host is the loopback address: reaching the gateway from the network is a
 * decision (`host: 0.0.0.0`), taken with tokens in place.
 */
export const httpConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65_535).default(8080),
    host: z.string().min(1).default('127.0.0.1'),
    /** Largest JSON request body, bytes. */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(256 * 1024),
    /** Requests per client address and window; `false` turns the limit off. */
    rateLimit: z
      .union([
        z.literal(false),
        z
          .object({
            max: z.number().int().min(1).max(1_000_000).default(6000),
            timeWindowMs: z.number().int().min(1000).max(3_600_000).default(60_000),
          })
          .strict(),
      ])
      .default({ max: 6000, timeWindowMs: 60_000 }),
    /** Browser origins allowed to call the API from other pages; empty: CORS off. */
    corsOrigins: z.array(z.string().url()).default([]),
    /** Serve /metrics without a token (a Prometheus on a trusted network). */
    publicMetrics: z.boolean().default(false),
  })
  .strict();

export type HttpConfig = z.infer<typeof httpConfigSchema>;

export const gatewayConfigSchema = z
  .object({
    version: z.literal(CURRENT_CONFIG_VERSION),
    gateway: z
      .object({
        id: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[^\s/#+]+$/, 'no spaces, slashes, # or + (it becomes an MQTT topic level)')
          .default('metrogate'),
        region: z.string().min(1).optional(),
        dataDir: z.string().min(1).optional(),
        /** How often the gateway's own health point is written. */
        healthIntervalMs: z.number().int().min(1000).max(3_600_000).default(10_000),
      })
      .strict()
      .default({ id: 'metrogate', healthIntervalMs: 10_000 }),
    devices: z.array(deviceEnvelopeSchema).default([]),
    scheduler: z
      .object({
        failuresBeforeDemotion: z.number().int().min(1).max(100).default(3),
        backoff: backoffSchema.default({ initialMs: 1000, maxMs: 60_000, factor: 2 }),
        jitterMs: z.number().int().min(0).max(60_000).default(100),
        interFrameDelayMs: z.number().int().min(0).max(10_000).default(0),
      })
      .strict()
      .default({
        failuresBeforeDemotion: 3,
        backoff: { initialMs: 1000, maxMs: 60_000, factor: 2 },
        jitterMs: 100,
        interFrameDelayMs: 0,
      }),
    outbox: z
      .object({ maxPoints: z.number().int().min(1000).max(100_000_000).default(1_000_000) })
      .strict()
      .default({ maxPoints: 1_000_000 }),
    sinks: z
      .object({
        influx: z
          .object({
            url: z.string().url('expected http://host:port/DATABASE'),
            username: z.string().optional(),
            password: z.string().optional(),
            batchSize: z.number().int().min(1).max(5000).default(5000),
            flushIntervalMs: z.number().int().min(10).max(600_000).default(1000),
          })
          .strict()
          .optional(),
        mqtt: z
          .object({
            url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, 'expected mqtt://host:port or mqtts://host:port'),
            username: z.string().optional(),
            password: z.string().optional(),
            prefix: z.string().min(1).optional(),
            tls: z
              .object({
                ca: z.string().optional(),
                cert: z.string().optional(),
                key: z.string().optional(),
                rejectUnauthorized: z.boolean().default(true),
              })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    verification: verificationConfigSchema.default({ overrides: {} }),
    coverage: coverageConfigSchema.default(DEFAULT_COVERAGE_CONFIG),
    http: httpConfigSchema.optional(),
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** A device as the service runs it: the envelope plus its driver's parsed settings. */
export interface ConfiguredDevice {
  id: string;
  driverId: string;
  instrumentId?: string;
  region?: string;
  pollIntervalMs: number;
  enabled: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: each driver has its own config type
  definition: DriverDefinition<any>;
  settings: unknown;
}

export interface LoadedGatewayConfig {
  file: string;
  config: GatewayConfig;
  devices: ConfiguredDevice[];
  /** The version the file was written in, when it was migrated on load. */
  migratedFrom?: number;
}

// --- migrations ---------------------------------------------------------------------------------

export interface ConfigMigration {
  from: number;
  to: number;
  description: string;
  migrate(document: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Each migration takes a document of version `from` to `to`. A file without `version` predates
 * versioning (the drafts of the first releases) and is version 0.
 */
export const CONFIG_MIGRATIONS: readonly ConfigMigration[] = [
  {
    from: 0,
    to: 1,
    description:
      'adds `version: 1`; `sinks.influxdb` becomes `sinks.influx`; `devices[].interval` (seconds) becomes `pollIntervalMs`',
    migrate(document) {
      const next: Record<string, unknown> = { ...document, version: 1 };
      const sinks = next.sinks as Record<string, unknown> | undefined;
      if (sinks && 'influxdb' in sinks && !('influx' in sinks)) {
        const { influxdb, ...rest } = sinks;
        next.sinks = { ...rest, influx: influxdb };
      }
      if (Array.isArray(next.devices)) {
        next.devices = next.devices.map((device) => {
          if (typeof device !== 'object' || device === null || !('interval' in device)) return device;
          const { interval, ...rest } = device as Record<string, unknown>;
          return typeof interval === 'number'
            ? { ...rest, pollIntervalMs: Math.round(interval * 1000) }
            : device;
        });
      }
      return next;
    },
  },
];

export function migrateConfig(
  document: Record<string, unknown>,
  migrations: readonly ConfigMigration[] = CONFIG_MIGRATIONS,
  target = CURRENT_CONFIG_VERSION,
): { document: Record<string, unknown>; from: number; applied: ConfigMigration[] } {
  const from = document.version === undefined ? 0 : document.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `version: expected a whole number, got ${JSON.stringify(document.version)}`,
      { path: 'version' },
    );
  }
  if (from > target) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `version: the file is version ${from}, newer than this metrogate understands (${target}); upgrade metrogate`,
      { path: 'version' },
    );
  }
  let current = document;
  let version = from;
  const applied: ConfigMigration[] = [];
  while (version < target) {
    const step = migrations.find((m) => m.from === version);
    if (!step)
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', `version: no migration from version ${version}`, {
        path: 'version',
      });
    current = step.migrate(current);
    version = step.to;
    applied.push(step);
  }
  return { document: current, from, applied };
}

// --- environment --------------------------------------------------------------------------------

/** Replaces `${NAME}` / `${NAME:-default}` in every string; a missing variable names its field. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_match, name: string, fallback: string | undefined) => {
        const found = env[name];
        if (found !== undefined) return found;
        if (fallback !== undefined) return fallback;
        throw new MetrogateError(
          'MG_ERR_CONFIG_INVALID',
          `${path || '(root)'}: environment variable ${name} is not set`,
          { path, variable: name },
        );
      },
    );
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

// --- loading ------------------------------------------------------------------------------------

function formatPath(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const part of path)
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out || '(root)';
}

function configError(file: string, problems: { path: string; message: string }[]): MetrogateError {
  const first = problems[0]!;
  return new MetrogateError(
    'MG_ERR_CONFIG_INVALID',
    `${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    { path: first.path, file, problems },
  );
}

/** Parses and validates a config document (already read); throws MG_ERR_CONFIG_INVALID naming fields. */
export function parseGatewayConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedGatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `${file}: not valid YAML (${(error as Error).message})`,
      { path: '(root)', file },
    );
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: expected a mapping at the top level`, {
      path: '(root)',
      file,
    });
  }
  const migrated = migrateConfig(raw as Record<string, unknown>);
  const document = interpolateEnv(migrated.document, env);
  const result = gatewayConfigSchema.safeParse(document);
  if (!result.success) {
    throw configError(
      file,
      result.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: /received undefined/.test(issue.message) ? 'is required' : issue.message,
      })),
    );
  }
  const config = result.data;
  const problems: { path: string; message: string }[] = [];
  const devices: ConfiguredDevice[] = [];
  const seen = new Set<string>();
  config.devices.forEach((device, index) => {
    const base = `devices[${index}]`;
    if (seen.has(device.id))
      problems.push({ path: `${base}.id`, message: `"${device.id}" is used by an earlier device` });
    seen.add(device.id);
    if (!(driverIds() as string[]).includes(device.driver)) {
      problems.push({
        path: `${base}.driver`,
        message: `unknown driver "${device.driver}"; known: ${driverIds().join(', ')}`,
      });
      return;
    }
    const definition = getDriver(device.driver);
    const settings: Record<string, unknown> = { id: device.id };
    for (const [key, value] of Object.entries(device)) {
      if (!(GATEWAY_KEYS as readonly string[]).includes(key)) settings[key] = value;
    }
    const parsed = definition.configSchema.safeParse(settings);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push({
          path: formatPath(issue.path, base),
          message: /received undefined/.test(issue.message) ? 'is required' : issue.message,
        });
      }
      return;
    }
    devices.push({
      id: device.id,
      driverId: device.driver,
      ...(device.instrumentId ? { instrumentId: device.instrumentId } : {}),
      ...((device.region ?? config.gateway.region) ? { region: device.region ?? config.gateway.region } : {}),
      pollIntervalMs: device.pollIntervalMs,
      enabled: device.enabled,
      definition,
      settings: parsed.data,
    });
  });
  if (problems.length > 0) throw configError(file, problems);
  return { file, config, devices, ...(migrated.applied.length > 0 ? { migratedFrom: migrated.from } : {}) };
}

export function loadGatewayConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedGatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: ${(error as Error).message}`, {
      path: '(file)',
      file,
    });
  }
  return parseGatewayConfig(text, file, env);
}
