/**
 * The register generator: instruments of every kind for Mianyang's nine districts, each with its
 * verification history, streamed row by row to instruments.csv and history.csv (contracts.md §5),
 * plus a set of reference standards (standards.json). The same options give byte-identical files.
 *
 * The register holds exactly `instruments` rows, scrapped ones included. They are shared out over
 * districts and kinds by the illustrative weights of mianyang.ts (largest remainders, so the cells
 * add up exactly), and each cell is filled site by site: a market's stalls, a shop's scales, a
 * station's dispensers, a fleet's cars. A scrapped instrument is usually followed by its
 * replacement at the same site, which counts against the same cell.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { behaviourFor, type KindBehaviour, simulateLife, type Window } from './behaviour.js';
import { addMonths, DateTexts, parseDate } from './calendar.js';
import {
  BufferedFileWriter,
  csvField,
  csvLine,
  HISTORY_COLUMNS,
  INSTRUMENT_COLUMNS,
  INSTRUMENT_COLUMNS_CHINESE,
} from './csv.js';
import { DISTRICTS, type District, INSTRUMENT_KINDS, type InstrumentKind, KIND_SHARES } from './mianyang.js';
import { SeededRandom } from './random.js';
import { referenceStandards } from './reference-standards.js';
import {
  fleetBatch,
  industrialBatch,
  marketBatch,
  type SiteBatch,
  shopBatch,
  stationBatch,
} from './sites.js';

export interface RegisterOptions {
  /** Rows of instruments.csv, scrapped instruments included. */
  instruments: number;
  /** Years of history before `end`. */
  years: number;
  /** Any text; the same seed gives the same register. */
  seed: string;
  /** Last day of the history (YYYY-MM-DD): the day the register was extracted. */
  end: string;
  chineseHeaders: boolean;
  /** Also write standards.json. */
  standards: boolean;
}

export const DEFAULT_END = '2026-10-31';
export const DEFAULT_SEED = '1';

export interface RegisterCounts {
  instruments: number;
  inUse: number;
  scrapped: number;
  verifications: number;
  failures: number;
  byKind: Record<InstrumentKind, number>;
  byDistrict: Record<string, number>;
}

export interface RegisterSummary extends RegisterCounts {
  /** First and last day of the history (YYYY-MM-DD). */
  from: string;
  to: string;
  files: { path: string; bytes: number }[];
}

/** Where generated rows go (files for the CLI; tests may collect them). */
export interface RegisterSink {
  instrument(line: string): void;
  history(line: string): void;
}

export type ProgressListener = (done: number, total: number) => void;

const LETTER: Readonly<Record<InstrumentKind, string>> = { scale: 'S', dispenser: 'D', taximeter: 'T' };

/** How the scales of a district are spread over kinds of site (illustrative). */
const SCALE_SITES = [
  ['market', 0.55],
  ['shop', 0.38],
  ['industrial', 0.07],
] as const;

type SiteKind = 'market' | 'shop' | 'industrial' | 'station' | 'fleet';

const BATCHES: Readonly<Record<SiteKind, (random: SeededRandom, district: District) => SiteBatch>> = {
  market: marketBatch,
  shop: shopBatch,
  industrial: industrialBatch,
  station: stationBatch,
  fleet: fleetBatch,
};

/** Whole numbers proportional to `weights` that add up to `total` exactly (largest remainders). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left === 0) break;
    counts[index]! += 1;
    left -= 1;
  }
  return counts;
}

export interface Cell {
  district: District;
  kind: InstrumentKind;
  count: number;
}

/** The number of instruments of each kind in each district. */
export function allocate(instruments: number): Cell[] {
  const weights: number[] = [];
  const cells: Omit<Cell, 'count'>[] = [];
  for (const district of DISTRICTS) {
    for (const kind of INSTRUMENT_KINDS) {
      const kindTotal = DISTRICTS.reduce((sum, other) => sum + other.weights[kind], 0);
      weights.push((KIND_SHARES[kind] * district.weights[kind]) / kindTotal);
      cells.push({ district, kind });
    }
  }
  const counts = apportion(instruments, weights);
  return cells.map((cell, index) => ({ ...cell, count: counts[index]! }));
}

/** The history window: the `years` years that end on `end`. */
export function historyWindow(end: string, years: number): Window {
  const endDay = parseDate(end);
  if (endDay === undefined) throw new RangeError(`end: expected a date written YYYY-MM-DD, got ${end}`);
  return { start: addMonths(endDay, -12 * years) + 1, end: endDay };
}

class CellWriter {
  private sequence = 0;
  private readonly width: number;
  private readonly prefix: string;

  constructor(
    private readonly cell: Cell,
    private readonly behaviour: KindBehaviour,
    private readonly window: Window,
    private readonly dates: DateTexts,
    private readonly sink: RegisterSink,
    private readonly counts: RegisterCounts,
    private readonly progress: () => void,
  ) {
    this.width = Math.max(6, String(cell.count).length);
    this.prefix = `${cell.district.code}-${LETTER[cell.kind]}`;
  }

  /** Fills `count` instruments from sites of one kind. */
  fill(random: SeededRandom, siteKind: SiteKind, count: number, years: number): void {
    const { window } = this;
    // Instruments of a new site (a station built) are registered together; a stall or a car that
    // is new in the window is registered on its own.
    const newSiteShare = Math.min(0.6, 0.035 * years);
    const oldest = addMonths(window.start, -12 * this.behaviour.maxAgeYears);
    let remaining = count;
    while (remaining > 0) {
      const batch = BATCHES[siteKind](random, this.cell.district);
      const siteOpened =
        !batch.openedOneByOne && random.chance(newSiteShare)
          ? random.int(window.start, window.end)
          : undefined;
      for (const slot of batch.slots) {
        if (remaining === 0) break;
        const opened =
          batch.openedOneByOne && random.chance(newSiteShare)
            ? random.int(window.start, window.end)
            : siteOpened;
        let registered =
          opened === undefined
            ? random.int(oldest, window.start - 1)
            : Math.min(window.end, opened + random.int(0, 7));
        for (;;) {
          remaining -= 1;
          const scrapped = this.writeInstrument(random, slot.owner, slot.site, slot.category, registered);
          if (scrapped === undefined || remaining === 0 || !random.chance(this.behaviour.replaceShare)) break;
          registered = scrapped + random.int(0, 21);
          if (registered > window.end) break;
        }
      }
    }
  }

  private writeInstrument(
    random: SeededRandom,
    owner: string,
    site: string,
    category: string,
    registered: number,
  ): number | undefined {
    this.sequence += 1;
    const id = `${this.prefix}${String(this.sequence).padStart(this.width, '0')}`;
    const life = simulateLife(random, this.behaviour, this.window, registered);
    const { dates, counts } = this;
    this.sink.instrument(
      `${id},${this.cell.kind},${csvField(category)},${this.cell.district.name},${csvField(owner)},${csvField(site)},${
        life.scrapped === undefined ? 'in-use' : 'scrapped'
      },${dates.text(registered)},${life.scrapped === undefined ? '' : dates.text(life.scrapped)},\n`,
    );
    for (const verification of life.verifications) {
      this.sink.history(`${id},${dates.text(verification.day)},${verification.verdict},\n`);
      if (verification.verdict === 'fail') counts.failures += 1;
    }
    counts.instruments += 1;
    counts.verifications += life.verifications.length;
    if (life.scrapped === undefined) counts.inUse += 1;
    else counts.scrapped += 1;
    counts.byKind[this.cell.kind] += 1;
    counts.byDistrict[this.cell.district.name] = (counts.byDistrict[this.cell.district.name] ?? 0) + 1;
    this.progress();
    return life.scrapped;
  }
}

export function checkOptions(options: RegisterOptions): void {
  if (!Number.isSafeInteger(options.instruments) || options.instruments < 1) {
    throw new RangeError(`--instruments: expected a whole number of at least 1, got ${options.instruments}`);
  }
  if (!Number.isSafeInteger(options.years) || options.years < 1 || options.years > 20) {
    throw new RangeError(`--years: expected a whole number from 1 to 20, got ${options.years}`);
  }
  if (parseDate(options.end) === undefined) {
    throw new RangeError(`--end: expected a date written YYYY-MM-DD, got ${options.end}`);
  }
}

/** Generates the register into `sink`, header rows first. */
export function generateRows(
  options: RegisterOptions,
  sink: RegisterSink,
  onProgress?: ProgressListener,
): RegisterCounts {
  checkOptions(options);
  const window = historyWindow(options.end, options.years);
  const root = new SeededRandom(`metrogate-seeds:${options.seed}`);
  const dates = new DateTexts();
  const counts: RegisterCounts = {
    instruments: 0,
    inUse: 0,
    scrapped: 0,
    verifications: 0,
    failures: 0,
    byKind: { scale: 0, dispenser: 0, taximeter: 0 },
    byDistrict: {},
  };
  const progressEvery = Math.max(1, Math.floor(options.instruments / 200));
  const progress = () => {
    if (
      onProgress &&
      (counts.instruments % progressEvery === 0 || counts.instruments === options.instruments)
    ) {
      onProgress(counts.instruments, options.instruments);
    }
  };

  sink.instrument(csvLine(options.chineseHeaders ? INSTRUMENT_COLUMNS_CHINESE : INSTRUMENT_COLUMNS));
  sink.history(csvLine(HISTORY_COLUMNS));
  for (const cell of allocate(options.instruments)) {
    const writer = new CellWriter(
      cell,
      behaviourFor(cell.district, cell.kind),
      window,
      dates,
      sink,
      counts,
      progress,
    );
    const cellRandom = root.derive(`${cell.district.code}/${cell.kind}`);
    if (cell.kind === 'scale') {
      const shares = apportion(
        cell.count,
        SCALE_SITES.map(([, share]) => share),
      );
      SCALE_SITES.forEach(([siteKind], index) => {
        writer.fill(cellRandom.derive(siteKind), siteKind, shares[index]!, options.years);
      });
    } else {
      writer.fill(cellRandom, cell.kind === 'dispenser' ? 'station' : 'fleet', cell.count, options.years);
    }
  }
  return counts;
}

export const INSTRUMENTS_FILE = 'instruments.csv';
export const HISTORY_FILE = 'history.csv';
export const STANDARDS_FILE = 'standards.json';

/** Generates the register into `outDir` (created if missing). */
export function generateRegister(
  options: RegisterOptions,
  outDir: string,
  onProgress?: ProgressListener,
): RegisterSummary {
  checkOptions(options);
  mkdirSync(outDir, { recursive: true });
  const instruments = new BufferedFileWriter(join(outDir, INSTRUMENTS_FILE));
  const history = new BufferedFileWriter(join(outDir, HISTORY_FILE));
  let counts: RegisterCounts;
  try {
    counts = generateRows(
      options,
      { instrument: (line) => instruments.write(line), history: (line) => history.write(line) },
      onProgress,
    );
  } finally {
    instruments.close();
    history.close();
  }
  const files = [
    { path: instruments.path, bytes: instruments.bytes },
    { path: history.path, bytes: history.bytes },
  ];
  if (options.standards) {
    const standards = new BufferedFileWriter(join(outDir, STANDARDS_FILE));
    standards.write(`${JSON.stringify(referenceStandards(options.seed, options.end), null, 2)}\n`);
    standards.close();
    files.push({ path: standards.path, bytes: standards.bytes });
  }
  const window = historyWindow(options.end, options.years);
  const dates = new DateTexts();
  return { ...counts, from: dates.text(window.start), to: dates.text(window.end), files };
}
