/**
 * `npm run bench`: runs every benchmark, prints the figures and writes them with the machine to
 * bench/results/latest.json. Not part of `npm test`: speed is measured here, never asserted there.
 * BENCH_ONLY=serial,modbus-tcp,modbus-rtu selects benchmarks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
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

mkdirSync(join(process.cwd(), 'bench/results'), { recursive: true });
writeFileSync(join(process.cwd(), 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwritten to bench/results/latest.json');
