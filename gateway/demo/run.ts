/**
 * `metrogate demo` put together: the simulated fleet, the real gateway service over it (SQLite
 * outbox, MQTT to an embedded aedes broker or the given one, InfluxDB when asked), the seed register
 * and standards, the HTTP API and dashboards with an admin token, and a few automatic verifications.
 * Everything stops in order on `close()`; a temporary data directory is removed with it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetrogateError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';
import { type ControlServer, startControlServer } from '../../simulators/control-http.js';
import { simulatorOperator } from '../cli/verify-operators.js';
import { parseGatewayConfig } from '../config/gateway-config.js';
import { type HttpServer, serveGateway } from '../http/server.js';
import { importHistoryFile, importInstrumentsFile } from '../registry/import.js';
import { GatewayService } from '../runtime/service.js';
import { TokenStore } from '../store/tokens.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.js';
import { type DemoFleet, startDemoFleet } from './fleet.js';
import {
  type DemoVerification,
  type DemoVerificationContext,
  verifyBenchDispenser,
  verifyBenchTaximeter,
  verifyScaleThroughApi,
} from './verifications.js';

export interface DemoOptions {
  logger: Logger;
  /** Kept after the demo; default: a temporary directory removed at the end. */
  dataDir?: string;
  httpPort: number;
  httpHost: string;
  /** `http://host:port[/database]`: also deliver to this InfluxDB (database `metrogate` by default). */
  influxUrl?: string;
  /** Use this broker instead of the embedded one. */
  mqttUrl?: string;
  pollIntervalMs: number;
  /** Run the automatic verifications (default true). */
  verify?: boolean;
  /** What the demo tells its user as it goes (stderr in the CLI). */
  note: (text: string) => void;
}

export interface RunningDemo {
  url: string;
  token: string;
  tokenFile: string;
  dataDir: string;
  mqttUrl: string;
  influxUrl?: string;
  service: GatewayService;
  fleet: DemoFleet;
  /** Settles when the automatic verifications are done (each one's outcome, or its error). */
  verifications: Promise<Array<DemoVerification | { instrumentId: string; error: string }>>;
  close(): Promise<void>;
}

/** seeds/sample from the sources (gateway/demo) or from a build (dist/gateway/demo). */
function sampleDir(): string {
  for (const relative of ['../../seeds/sample/', '../../../seeds/sample/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'instruments.csv'))) return dir;
  }
  throw new MetrogateError('MG_ERR_INPUT_INVALID', 'seeds/sample is missing from this installation', {
    path: 'seeds/sample',
  });
}

/** The database path defaults to `metrogate`: `--influx http://127.0.0.1:8086` is enough. */
export function influxSinkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--influx: "${text}" is not a URL (http://host:8086)`, {
      path: '--influx',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--influx: "${text}" is not an http(s) URL`, {
      path: '--influx',
    });
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrogate';
  return url.toString();
}

/** The register and the standards of seeds/sample, when the data directory has none yet. */
function seedRegister(service: GatewayService, note: (text: string) => void): void {
  const { store } = service;
  const row = store.db.prepare('SELECT count(*) AS n FROM instruments').get() as { n: number };
  const dir = sampleDir();
  if (row.n === 0) {
    const instruments = importInstrumentsFile(store, join(dir, 'instruments.csv'), {
      actor: 'metrogate demo',
    });
    const history = importHistoryFile(store, join(dir, 'history.csv'), { actor: 'metrogate demo' });
    note(
      `register: ${instruments.inserted} instruments and ${history.inserted} past verifications of Mianyang's nine districts (seeds/sample)`,
    );
  }
  if (store.standards.list().length === 0) {
    const standards = JSON.parse(readFileSync(join(dir, 'standards.json'), 'utf8')) as unknown[];
    store.standards.addAll(standards, { actor: 'metrogate demo' });
  }
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const { logger, note } = options;
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'metrogate-demo-'));
  const influxUrl = options.influxUrl === undefined ? undefined : influxSinkUrl(options.influxUrl);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    closers.length = 0;
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    let broker: EmbeddedBroker | undefined;
    if (!options.mqttUrl) {
      broker = await startEmbeddedBroker();
      closers.push(() => broker!.close());
    }
    const mqttUrl = options.mqttUrl ?? broker!.url;
    const fleet = await startDemoFleet({ logger, pollIntervalMs: options.pollIntervalMs });
    closers.push(() => fleet.close());
    if (fleet.serial === 'tcp-only')
      note(
        'socat is not installed: only the Modbus TCP devices run (apt-get install socat for the serial ones)',
      );
    const document = {
      version: 1,
      gateway: { id: 'metrogate-demo', region: '绵阳市', healthIntervalMs: 5000 },
      devices: fleet.devices,
      sinks: {
        mqtt: { url: mqttUrl },
        ...(influxUrl ? { influx: { url: influxUrl, flushIntervalMs: 500 } } : {}),
      },
    };
    const loaded = parseGatewayConfig(JSON.stringify(document), '(demo config)', {});
    const service = await GatewayService.start(loaded, { dataDir, logger });
    closers.push(async () => {
      await service.stop(3000);
    });
    seedRegister(service, note);

    // The scales the demo verifies get their simulator's control API: a capture also places the load.
    const controls = new Map<string, ControlServer>();
    for (const scale of fleet.scales) {
      if (!scale.spec.verify) continue;
      const control = await startControlServer(scale.simulator);
      closers.push(() => control.close());
      controls.set(scale.spec.id, control);
    }
    const created = new TokenStore(service.store).create({
      role: 'admin',
      name: 'demo-admin',
      actor: 'metrogate demo',
    });
    const tokenFile = join(dataDir, 'demo-token');
    writeFileSync(tokenFile, `${created.token}\n`, { mode: 0o600 });
    const http: HttpServer = await serveGateway(
      service,
      logger,
      { port: options.httpPort, host: options.httpHost, rateLimit: false },
      {
        scaleAssist: (deviceId) => {
          const control = controls.get(deviceId);
          return control ? simulatorOperator(control.url) : undefined;
        },
      },
    );
    // Before the service: requests in flight end before the store closes.
    closers.push(() => http.close());

    const life = setInterval(() => fleet.tick(), 1000);
    closers.push(async () => clearInterval(life));

    const stopVerifying = new AbortController();
    const context: DemoVerificationContext = {
      app: http.app,
      token: created.token,
      store: service.store,
      fleet,
      logger,
      signal: stopVerifying.signal,
    };
    const verifications = options.verify === false ? Promise.resolve([]) : runVerifications(context, note);
    closers.push(async () => {
      stopVerifying.abort(new Error('the demo is stopping'));
      await verifications;
    });
    return {
      url: http.url,
      token: created.token,
      tokenFile,
      dataDir,
      mqttUrl,
      ...(influxUrl ? { influxUrl } : {}),
      service,
      fleet,
      verifications,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

const DEMO_WEIGHT_SET = 'W-M1-MY-01';

/** Each one's failure is told, not fatal: the demo goes on without that record. */
async function runVerifications(
  context: DemoVerificationContext,
  note: (text: string) => void,
): Promise<Array<DemoVerification | { instrumentId: string; error: string }>> {
  // The seeds' M1 weight set composes every load of the counter scales (1 g – 2 × 20 kg).
  const standards = context.store.standards.get(DEMO_WEIGHT_SET) ? [DEMO_WEIGHT_SET] : [];
  const jobs: Array<{ instrumentId: string; run: () => Promise<DemoVerification> }> = [
    ...context.fleet.scales
      .filter((scale) => scale.spec.verify)
      .map((scale) => ({
        instrumentId: scale.spec.instrumentId,
        run: () => verifyScaleThroughApi(context, scale, standards),
      })),
  ];
  if (context.fleet.serial === 'pty') {
    jobs.push({ instrumentId: '510705-D000001', run: () => verifyBenchDispenser(context, '510705-D000001') });
    jobs.push({ instrumentId: '510781-T000001', run: () => verifyBenchTaximeter(context, '510781-T000001') });
  }
  const outcomes: Array<DemoVerification | { instrumentId: string; error: string }> = [];
  // All at once: each has its own device and bus, and a minute of waiting is a long demo.
  await Promise.all(
    jobs.map(async (job) => {
      try {
        const outcome = await job.run();
        outcomes.push(outcome);
        note(
          `verified ${outcome.kind} ${outcome.instrumentId}: ${outcome.verdict} (record ${outcome.recordId})`,
        );
      } catch (error) {
        if (context.signal.aborted) return;
        const message = (error as Error).message;
        outcomes.push({ instrumentId: job.instrumentId, error: message });
        context.logger.warn({ instrument: job.instrumentId, err: message }, 'demo verification failed');
        note(`verification of ${job.instrumentId} did not finish: ${message}`);
      }
    }),
  );
  return outcomes;
}
