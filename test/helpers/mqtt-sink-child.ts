/**
 * A gateway process that only runs the MQTT sink, so that a test can SIGKILL it (a real crash: no
 * DISCONNECT, no `stop()`, the socket closed by the kernel). Started by `startSinkProcess`.
 *
 * argv[2]: JSON { url, gatewayId, dbPath }. stdin: one JSON command per line,
 * { "op": "verification", "event": VerificationEvent } or { "op": "device", "id", "state" };
 * stdout: `started` once `start()` resolved, then `ok <n>` after each command took effect
 * (a verification event is then committed to SQLite).
 */
import { createInterface } from 'node:readline';
import type { DeviceState } from '../../gateway/runtime/contracts.js';
import { MqttSink, type VerificationEvent } from '../../gateway/sinks/mqtt.js';
import { openDatabase } from '../../gateway/store/database.js';

interface ChildConfig {
  url: string;
  gatewayId: string;
  dbPath: string;
}

type Command =
  | { op: 'verification'; event: VerificationEvent }
  | { op: 'device'; id: string; state: DeviceState };

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const db = openDatabase(config.dbPath);
const sink = new MqttSink({
  url: config.url,
  gatewayId: config.gatewayId,
  db,
  reconnect: { initialMs: 100, maxMs: 400 },
});
await sink.start();
process.stdout.write('started\n');
let done = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const command = JSON.parse(line) as Command;
  if (command.op === 'verification') sink.publishVerification(command.event);
  else sink.publishDeviceState(command.id, command.state);
  done += 1;
  process.stdout.write(`ok ${done}\n`);
}
