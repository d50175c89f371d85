/**
 * `npm run bench`: runs every benchmark, prints the figures and writes them with the machine to
 * bench/results/latest.json. Not part of `npm test`: speed is measured here, never asserted there.
 * BENCH_ONLY=serial,modbus-tcp,modbus-rtu,gateway,http,coverage,web selects benchmarks; `gateway` is the
 * runtime's three (gateway-throughput, influx-ceiling, replay), each also selectable alone.
 * A partial run merges its figures into latest.json: the entries of benchmarks not run are kept,
 * and `recorded` says when and on what machine each entry was measured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchGatewayThroughput, benchInfluxCeiling, benchReplay } from './gateway.js';
import { benchHttp } from './http.js';
import { benchModbusRtu, benchModbusTcp } from './modbus.js';
import { benchSerialOverhead } from './serial-overhead.js';

const only = process.env.BENCH_ONLY?.split(',');
const wanted = (name: string) => !only || only.includes(name);

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  date: new Date().toISOString(),
};

const results: Record<string, unknown> = { machine };
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
);

if (wanted('serial')) {
  const r = await benchSerialOverhead();
  results.serialOverhead = r;
  console.log(
    `\nserial transaction over a pty (${r.roundTrips} round trips)\n` +
      `  raw serialport  p50 ${r.raw.p50.toFixed(3)} ms  p99 ${r.raw.p99.toFixed(3)} ms\n` +
      `  scale-mtsics    p50 ${r.driver.p50.toFixed(3)} ms  p99 ${r.driver.p99.toFixed(3)} ms\n` +
      `  added           p50 ${r.addedP50Ms.toFixed(3)} ms  p99 ${r.addedP99Ms.toFixed(3)} ms  (target < ${r.targetAddedP50Ms} ms at p50: ${r.pass ? 'met' : 'MISSED'})`,
  );
}

if (wanted('modbus-tcp')) {
  const r = await benchModbusTcp();
  results.modbusTcp = r;
  console.log(
    `\nModbus TCP, ${r.registersPerPoll} registers per poll, medians of alternating rounds over ${r.seconds * 3} s\n` +
      `  bare modbus-serial loop        ${r.barePollsPerSecond} polls/s\n` +
      `  through the per-bus queue      ${r.queuePollsPerSecond} polls/s  ratio ${r.queueRatio} (target >= ${r.target}: ${r.pass ? 'met' : 'MISSED'})\n` +
      `  whole scale-modbus poll        ${r.driverPollsPerSecond} polls/s  ratio ${r.driverRatio} (decoding and Readings included)`,
  );
}

if (wanted('modbus-rtu')) {
  const rows = [];
  for (const baud of [9600, 19200, 115200]) rows.push(await benchModbusRtu(baud));
  results.modbusRtu = rows;
  console.log('\nModbus RTU on a pty with wire-time emulation (scale-modbus, generic preset)');
  for (const r of rows) {
    console.log(
      `  ${r.line.padEnd(11)} wire limit ${String(r.wireLimitPollsPerSecond).padStart(6)} polls/s  achieved ${String(r.achievedPollsPerSecond).padStart(6)}  ratio ${r.ratio} (target >= ${r.target}: ${r.pass ? 'met' : 'MISSED'})`,
    );
  }
}

if (wanted('gateway') || wanted('gateway-throughput')) {
  const r = await benchGatewayThroughput();
  results.gateway = r;
  console.log(
    `\nmetrogate start: ${r.devices} Modbus TCP scales on ${r.tcpConnections} connections, every ${r.pollIntervalMs} ms (${r.offeredReadingsPerSecond} readings/s offered), into influxd\n` +
      `  stored in InfluxDB  ${r.storedReadingsPerSecond} readings/s over ${r.windowSeconds} s (target >= ${r.target.readingsPerSecond}), outbox at most ${r.maxOutboxDepth} deep, ${r.lost} lost\n` +
      `  gateway             CPU ${r.gatewayCpuPercent} % of a core (${r.gatewayCpuMicrosecondsPerReading} µs per reading)${r.gatewayNodeOptions ? ` with ${r.gatewayNodeOptions}` : ''}, RSS ${r.gatewayRssMb} MB (peak ${r.gatewayPeakRssMb}, target <= ${r.target.rssMb}; live heap after full GCs <= ${r.gatewayLiveHeapMb} MB); machine ${r.machineCpuPercent} % busy  (${r.pass ? 'met' : 'MISSED'})`,
  );
}

if (wanted('gateway') || wanted('influx-ceiling')) {
  const r = await benchInfluxCeiling();
  results.influxCeiling = r;
  console.log(
    `\nInfluxDB write ceiling: ${r.points} reading points in batches of ${r.batchSize}, one request at a time, ${r.rounds.length} rounds\n` +
      r.rounds
        .map(
          (x, i) =>
            `  round ${i + 1}: raw ${x.rawPointsPerSecond} points/s, sink ${x.gatewayPointsPerSecond} points/s, ratio ${x.ratio}\n`,
        )
        .join('') +
      `  medians: raw line protocol ${r.rawPointsPerSecond} points/s, the gateway's sink ${r.gatewayPointsPerSecond} points/s (CPU ${r.gatewayCpuPercent} %), ratio ${r.ratio} (target >= ${r.target}: ${r.pass ? 'met' : 'MISSED'})`,
  );
}

if (wanted('gateway') || wanted('replay')) {
  const r = await benchReplay();
  results.replay = r;
  console.log(
    `\nreplay after a 10-minute outage at 1000 readings/s: ${r.backlogPoints} points in the outbox, ${r.liveReadingsPerSecond} readings/s still polled\n` +
      `  drained in ${r.secondsToDrain} s: backlog ${r.backlogPointsPerSecond} points/s (${r.deliveredPointsPerSecond} points/s with the live ones), CPU ${r.gatewayCpuPercent} %, peak RSS ${r.gatewayPeakRssMb} MB, ${r.lost} lost`,
  );
}

if (wanted('http')) results.http = await benchHttp((line) => console.log(line));
if (wanted('coverage'))
  results.coverage = await (await import('./coverage.js')).benchCoverage((line) => console.log(line));
if (wanted('web')) results.web = await (await import('./web.js')).benchWeb((line) => console.log(line));

mkdirSync(join(process.cwd(), 'bench/results'), { recursive: true });
const resultsFile = join(process.cwd(), 'bench/results/latest.json');
// With BENCH_ONLY, the figures of the benchmarks not run stay as they were recorded.
const previous = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>)
  : {};
const recorded: Record<string, unknown> = { ...(previous.recorded as Record<string, unknown> | undefined) };
for (const name of Object.keys(results)) if (name !== 'machine') recorded[name] = machine;
writeFileSync(resultsFile, `${JSON.stringify({ ...previous, ...results, recorded }, null, 2)}\n`);
console.log('\nwritten to bench/results/latest.json');
