/**
 * `npm run bench`: runs every benchmark, prints the figures and writes them with the machine to
 * bench/results/latest.json. Not part of `npm test`: speed is measured here, never asserted there.
 * BENCH_ONLY=serial,modbus-tcp,modbus-rtu selects benchmarks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
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

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwritten to bench/results/latest.json');
