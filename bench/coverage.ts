/**
 * Coverage indicators over a large register (issue 6), all in this process on one machine:
 *
 * - generate: the seed generator (seeds/) writes 1 000 000 instruments with 3 years of
 *   verification history into a temporary directory (BENCH_COVERAGE_INSTRUMENTS / _YEARS to vary);
 * - import: `registry import` and `import-history` of those files into a fresh data directory,
 *   through the registry's own import (all-or-nothing, one transaction each) with a progress bar on
 *   stderr as the CLI shows it; rows per second;
 * - full: the full computation of contracts.md §6 for the year to the register's end date, over
 *   every instrument and the whole history (target < 5 s), three runs;
 * - incremental: after one new verification row, CoverageService.check() — following the history by
 *   position, recomputing the one instrument, writing its group's point to the outbox (a committed
 *   SQLite transaction) — and CoverageState.applyNewHistory alone (target < 50 ms), 50 times.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { DEFAULT_COVERAGE_CONFIG } from '../gateway/config/gateway-config.js';
import { CoverageService, CoverageState, parseDate } from '../gateway/coverage/index.js';
import { type ImportProgress, importHistoryFile, importInstrumentsFile } from '../gateway/registry/import.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { generateRegister } from '../seeds/register.js';
import { round, summarize } from './helpers/stats.js';

const TARGET_FULL_SECONDS = 5;
const TARGET_INCREMENTAL_MS = 50;
const END = '2026-10-31';

export interface CoverageBenchResult {
  instruments: number;
  years: number;
  historyRows: number;
  generateSeconds: number;
  import: { instrumentsSeconds: number; historySeconds: number; rowsPerSecond: number; databaseMb: number };
  full: {
    period: string;
    seconds: number[];
    /** CPU time of each run (user + system): what the pass costs when it has a core to itself. */
    cpuSeconds: number[];
    bestSeconds: number;
    target: number;
    pass: boolean;
  };
  incremental: {
    checkMs: { p50: number; p99: number; max: number };
    /** CPU time of each check (user + system), free of the waits of a shared machine. */
    checkCpuMs: { p50: number; p99: number; max: number };
    stateMs: { p50: number; p99: number; max: number };
    target: number;
    pass: boolean;
  };
}

function progressBar(label: string, totalBytes: number): { update(p: ImportProgress): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} {bar} {percentage}% | {rows} rows`,
    stream: process.stderr,
    clearOnComplete: true,
  });
  bar.start(totalBytes, 0, { rows: 0 });
  return { update: (p) => bar.update(p.bytes, { rows: p.rows }), stop: () => bar.stop() };
}

export async function benchCoverage(log: (line: string) => void): Promise<CoverageBenchResult> {
  const instruments = Number(process.env.BENCH_COVERAGE_INSTRUMENTS ?? 1_000_000);
  const years = Number(process.env.BENCH_COVERAGE_YEARS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-bench-coverage-'));
  try {
    log(`\ncoverage: ${instruments} instruments with ${years} years of history (seeds/, end ${END})`);
    let started = performance.now();
    const seedDir = join(dir, 'seed');
    const summary = generateRegister(
      { instruments, years, seed: 'bench', end: END, chineseHeaders: false, standards: false },
      seedDir,
    );
    const generateSeconds = round((performance.now() - started) / 1000, 2);
    const historyRows = summary.verifications;

    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    let store = MetrogateStore.open({ dataDir });
    const instrumentsFile = join(seedDir, 'instruments.csv');
    const historyFile = join(seedDir, 'history.csv');
    started = performance.now();
    let bar = progressBar('import instruments', statSync(instrumentsFile).size);
    const imported = importInstrumentsFile(store, instrumentsFile, { onProgress: bar.update });
    bar.stop();
    const instrumentsSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    bar = progressBar('import history', statSync(historyFile).size);
    const importedHistory = importHistoryFile(store, historyFile, { onProgress: bar.update });
    bar.stop();
    const historySeconds = (performance.now() - started) / 1000;
    const importResult = {
      instrumentsSeconds: round(instrumentsSeconds, 2),
      historySeconds: round(historySeconds, 2),
      rowsPerSecond: Math.round(
        (imported.rows + importedHistory.rows) / (instrumentsSeconds + historySeconds),
      ),
      databaseMb: Math.round(statSync(store.databasePath).size / 2 ** 20),
    };
    log(
      `  generate            ${generateSeconds} s (${historyRows} history rows)\n` +
        `  import              ${imported.rows} instruments in ${importResult.instrumentsSeconds} s, ${importedHistory.rows} history rows in ${importResult.historySeconds} s: ${importResult.rowsPerSecond} rows/s (database ${importResult.databaseMb} MB)`,
    );

    // As after `metrogate registry import` in its own process: the importing connection closed
    // (its WAL checkpointed), the gateway reading a database at rest.
    store.close();
    store = MetrogateStore.open({ dataDir });
    const period = { from: parseDate('2026-01-01')!, to: parseDate(END)! };
    const seconds: number[] = [];
    const cpuSeconds: number[] = [];
    let inUse = 0;
    for (let run = 0; run < 3; run++) {
      started = performance.now();
      const cpu = process.cpuUsage();
      const state = new CoverageState(period, DEFAULT_COVERAGE_CONFIG).loadSync(store.db);
      const used = process.cpuUsage(cpu);
      seconds.push(round((performance.now() - started) / 1000, 3));
      cpuSeconds.push(round((used.user + used.system) / 1e6, 3));
      inUse = state.instrumentCount;
    }
    const bestSeconds = Math.min(...seconds);
    const full = {
      period: `2026-01-01 – ${END}`,
      seconds,
      cpuSeconds,
      bestSeconds,
      target: TARGET_FULL_SECONDS,
      pass: bestSeconds < TARGET_FULL_SECONDS,
    };
    log(
      `  full computation    ${seconds.join(' s, ')} s (CPU ${cpuSeconds.join(' s, ')} s) for ${full.period} (${inUse} in use; target < ${TARGET_FULL_SECONDS} s: ${full.pass ? 'met' : 'MISSED'})`,
    );

    // The service as `metrogate start` runs it; "today" is the register's end date.
    const service = CoverageService.start({
      databasePath: store.databasePath,
      config: DEFAULT_COVERAGE_CONFIG,
      outbox: store.outbox,
      now: () => new Date(2026, 9, 31, 12, 0, 0),
      pollIntervalMs: 0,
    });
    await service.ready;
    const ids = store.db
      .prepare("SELECT id FROM instruments WHERE status = 'in-use' ORDER BY rowid LIMIT 50 OFFSET 1000")
      .pluck()
      .all() as string[];
    const checkMs: number[] = [];
    const checkCpuMs: number[] = [];
    try {
      for (const [n, id] of ids.entries()) {
        // One verification, as a record of a session would add it (a history row by position).
        store.db
          .prepare(
            "INSERT INTO verification_history (instrument_id, date, verdict, record, source) VALUES (?, ?, 'pass', ?, 'gateway')",
          )
          .run(id, END, `VR-BENCH-${n}`);
        started = performance.now();
        const cpu = process.cpuUsage();
        const groups = service.check();
        const used = process.cpuUsage(cpu);
        checkMs.push(performance.now() - started);
        checkCpuMs.push((used.user + used.system) / 1000);
        if (groups !== 1) throw new Error(`check() published ${groups} groups after one record, expected 1`);
      }
    } finally {
      await service.stop();
    }
    const state = new CoverageState(period, DEFAULT_COVERAGE_CONFIG).loadSync(store.db);
    const stateMs: number[] = [];
    for (const [n, id] of ids.entries()) {
      store.db
        .prepare(
          "INSERT INTO verification_history (instrument_id, date, verdict, record, source) VALUES (?, ?, 'fail', ?, 'gateway')",
        )
        .run(id, END, `VR-BENCH-F${n}`);
      started = performance.now();
      state.applyNewHistory(store.db);
      stateMs.push(performance.now() - started);
    }
    store.close();
    const pick = (samples: number[]) => {
      const s = summarize(samples);
      return { p50: round(s.p50, 3), p99: round(s.p99, 3), max: round(Math.max(...samples), 3) };
    };
    const incremental = {
      checkMs: pick(checkMs),
      checkCpuMs: pick(checkCpuMs),
      stateMs: pick(stateMs),
      target: TARGET_INCREMENTAL_MS,
      pass: Math.max(...checkMs) < TARGET_INCREMENTAL_MS,
    };
    log(
      `  incremental update  service check (point to the outbox included) p50 ${incremental.checkMs.p50} ms, p99 ${incremental.checkMs.p99} ms, max ${incremental.checkMs.max} ms (CPU p50 ${incremental.checkCpuMs.p50} ms, max ${incremental.checkCpuMs.max} ms); state alone p50 ${incremental.stateMs.p50} ms, max ${incremental.stateMs.max} ms (target < ${TARGET_INCREMENTAL_MS} ms: ${incremental.pass ? 'met' : 'MISSED'})`,
    );
    return {
      instruments,
      years,
      historyRows: importedHistory.rows,
      generateSeconds,
      import: importResult,
      full,
      incremental,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
