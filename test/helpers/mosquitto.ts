/**
 * Debian's Mosquitto (/usr/sbin/mosquitto) as the real broker of the MQTT tests: one process per
 * test, listening on 127.0.0.1 on a port picked free, with a generated config in a temporary
 * directory. Persistence is on and saved after every change, so a broker that is killed (SIGKILL)
 * and restarted keeps its retained messages and the sessions of clients with `clean: false`, as a
 * production broker with persistence would. The log (everything, with connection messages) stays
 * in the directory for diagnostics: `log()` returns it, and start failures quote its tail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface StartMosquittoOptions {
  /**
   * A second listener with TLS on `tlsPort` (PEM files). With `clientCaFile` the broker requires a
   * client certificate signed by that CA.
   */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Extra lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
  /** Give up when the broker does not accept connections within this time (ms). */
  startTimeoutMs?: number;
}

export interface MosquittoBroker {
  readonly host: string;
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string;
  /** `mqtts://127.0.0.1:<tlsPort>` when started with `tls`. */
  readonly tlsUrl?: string;
  /** The temporary directory with mosquitto.conf, the persistence file and the log. */
  readonly dir: string;
  readonly logFile: string;
  /** Whether the broker process is running. */
  running(): boolean;
  /** SIGSTOP: the broker keeps its sockets open but reads and answers nothing (a hung broker). */
  pause(): void;
  /**
   * Ends the broker with `signal` (SIGKILL by default: a crash, no goodbye to the clients) and
   * resolves once the process is gone.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same port with the same config and persistence; stops it first (SIGTERM) if it runs. */
  restart(): Promise<void>;
  /** Stops the broker (SIGTERM, SIGKILL after 3 s) and removes the temporary directory. */
  stop(): Promise<void>;
  /** The broker's log so far. */
  log(): string;
}

export function requireMosquitto(): void {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(
      `the MQTT tests need Debian's Mosquitto at ${MOSQUITTO}; install it with: apt-get install mosquitto`,
    );
  }
}

export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<MosquittoBroker> {
  requireMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-mosquitto-'));
  const host = '127.0.0.1';
  const port = await freePort(host);
  const tlsPort = options.tls ? await freePort(host) : undefined;
  const tlsListener = options.tls
    ? [
        `listener ${tlsPort} ${host}`,
        `certfile ${options.tls.certFile}`,
        `keyfile ${options.tls.keyFile}`,
        ...(options.tls.clientCaFile
          ? [`cafile ${options.tls.clientCaFile}`, 'require_certificate true']
          : []),
      ]
    : [];
  const logFile = join(dir, 'mosquitto.log');
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    configFile,
    [
      `listener ${port} ${host}`,
      'allow_anonymous true',
      // Started as root, mosquitto would switch to the `mosquitto` user, which cannot write the
      // persistence file into a root-owned temporary directory.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'persistence true',
      `persistence_location ${dir}`,
      'persistence_file mosquitto.db',
      // Save after every retained message, subscription or queued message: a SIGKILL then loses
      // nothing a test relies on.
      'autosave_on_changes true',
      'autosave_interval 1',
      `log_dest file ${logFile}`,
      'log_type all',
      'connection_messages true',
      'log_timestamp_format %Y-%m-%dT%H:%M:%S',
      ...tlsListener,
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let child: ChildProcess | undefined;

  const launch = async () => {
    const broker = spawn(MOSQUITTO, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    broker.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child = broker;
    try {
      await waitForListener(host, port, broker, startTimeoutMs);
    } catch (error) {
      await terminate(broker, 'SIGKILL');
      const tail = `${stderr}\n${readLog()}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(`mosquitto did not start on ${host}:${port}: ${(error as Error).message}\n${tail}`);
    }
  };

  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    ...(tlsPort === undefined ? {} : { tlsUrl: `mqtts://${host}:${tlsPort}` }),
    dir,
    logFile,
    running: () => child !== undefined && isAlive(child),
    pause: () => {
      child?.kill('SIGSTOP');
    },
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child) await terminate(child, signal);
    },
    restart: async () => {
      if (child) await terminate(child, 'SIGTERM');
      await launch();
    },
    stop: async () => {
      if (child) await terminate(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (!isAlive(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const escalate = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(escalate);
      resolve();
    });
    child.kill(signal);
    // A paused (SIGSTOP) broker handles SIGTERM only once it runs again.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when a TCP connection to the listener succeeds; rejects when the process exits first. */
function waitForListener(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (!isAlive(child)) {
        reject(new Error(`the process exited with ${child.exitCode ?? child.signalCode}`));
        return;
      }
      const socket = createConnection({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`no listener after ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

export interface RecordedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  dup: boolean;
}

/** A subscriber that keeps every message it receives, for assertions. */
export interface MessageRecorder {
  readonly client: MqttClient;
  readonly messages: RecordedMessage[];
  /** Messages on `topic`, in arrival order. */
  on(topic: string): RecordedMessage[];
  /** Resolves with the first message (already received or arriving) that matches; rejects after `timeoutMs`. */
  waitFor(match: (message: RecordedMessage) => boolean, timeoutMs?: number): Promise<RecordedMessage>;
  /** Resolves once `count` messages match; rejects after `timeoutMs` listing what arrived. */
  waitForCount(
    match: (message: RecordedMessage) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<RecordedMessage[]>;
  close(): Promise<void>;
}

/**
 * Connects a subscriber (MQTT.js) and subscribes to `filters` with QoS 1. With `clean: false` and a
 * fixed `clientId` its session (and the messages queued for it) survives a broker restart.
 */
export async function recordMessages(
  url: string,
  filters: string[],
  options: Pick<IClientOptions, 'clientId' | 'clean' | 'reconnectPeriod'> = {},
): Promise<MessageRecorder> {
  const client = connect(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
  const messages: RecordedMessage[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({
      topic,
      payload: payload.toString(),
      retain: packet.retain,
      qos: packet.qos,
      dup: packet.dup,
    });
  });
  client.on('error', () => {
    // Reconnects are the point of several tests; MQTT.js reports each refused attempt here.
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`test subscriber could not connect to ${url}`)), 5000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await client.subscribeAsync(filters, { qos: 1 });
  const waitForCount = (match: (m: RecordedMessage) => boolean, count: number, timeoutMs = 5000) =>
    new Promise<RecordedMessage[]>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const check = () => {
        const found = messages.filter(match);
        if (found.length >= count) resolve(found);
        else if (Date.now() > deadline) {
          const seen = messages.map((m) => `${m.topic}=${m.payload}${m.retain ? ' (retained)' : ''}`);
          reject(
            new Error(
              `expected ${count} matching messages, got ${found.length}; received:\n${seen.join('\n')}`,
            ),
          );
        } else setTimeout(check, 20);
      };
      check();
    });
  return {
    client,
    messages,
    on: (topic) => messages.filter((m) => m.topic === topic),
    waitFor: async (match, timeoutMs) => (await waitForCount(match, 1, timeoutMs))[0]!,
    waitForCount,
    close: () => client.endAsync(true),
  };
}

/** The retained message of `topic` as a new subscriber sees it (undefined when none arrives in `waitMs`). */
export async function readRetained(url: string, topic: string, waitMs = 1000): Promise<string | undefined> {
  const recorder = await recordMessages(url, [topic]);
  try {
    return (await recorder.waitFor((m) => m.topic === topic && m.retain, waitMs)).payload;
  } catch {
    return undefined;
  } finally {
    await recorder.close();
  }
}

const SINK_CHILD = fileURLToPath(new URL('./mqtt-sink-child.ts', import.meta.url));
const REPO_ROOT = join(dirname(SINK_CHILD), '..', '..');

/** A gateway process running only the MQTT sink (test/helpers/mqtt-sink-child.ts). */
export interface SinkProcess {
  readonly child: ChildProcess;
  /** Sends one command and resolves when the child confirmed it. */
  send(command: Record<string, unknown>): Promise<void>;
  /** SIGKILL: the gateway crashes. */
  crash(): Promise<void>;
}

export async function startSinkProcess(config: {
  url: string;
  gatewayId: string;
  dbPath: string;
}): Promise<SinkProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SINK_CHILD, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const waitForLine = (line: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => stdout.split('\n').includes(line);
      if (check()) return resolve();
      const timer = setTimeout(() => {
        cleanupListeners();
        reject(
          new Error(
            `sink process did not print "${line}" within ${timeoutMs} ms: ${stderr.trim().slice(-800)}`,
          ),
        );
      }, timeoutMs);
      const onData = () => {
        if (check()) {
          cleanupListeners();
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        cleanupListeners();
        reject(new Error(`sink process exited with ${code}: ${stderr.trim().slice(-800)}`));
      };
      const cleanupListeners = () => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
    });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  await waitForLine('started', 20_000);
  let sent = 0;
  return {
    child,
    send: async (command) => {
      sent += 1;
      child.stdin?.write(`${JSON.stringify(command)}\n`);
      await waitForLine(`ok ${sent}`, 5000);
    },
    crash: () => terminate(child, 'SIGKILL'),
  };
}
