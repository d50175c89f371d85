/**
 * How owners of one kind in one district treat verification, and one instrument's life simulated
 * from it: when it is scrapped, when it is verified, and with what verdict. All figures are
 * ILLUSTRATIVE (chosen to look like a market supervision ledger, not measured).
 *
 * The model, in the terms of contracts.md §6:
 * - A verification falls due a period after the previous one (any verdict); it happens at the due
 *   date plus a lateness drawn from four bands: early (the inspector came by before the date),
 *   within four weeks, late (one to three months) and very late. A district's `diligence` moves the
 *   weight between the first two and the last two bands.
 * - An instrument new in the window is verified on registration or within ten days (首次检定).
 * - Some instruments stop being verified: a few are never verified in the window at all, and each
 *   cycle a small share lapses. Weak districts have more of both.
 * - A verification fails a few percent of the time. A failed instrument is usually repaired and
 *   verified again within a month (and nearly always passes then); otherwise it is scrapped, or it
 *   stays in use unverified.
 * - Scrapping is a constant hazard of a few percent a year; a scrapped instrument is usually
 *   replaced at the same site (the generator registers the replacement).
 */
import { addMonths } from './calendar.js';
import { DEFAULT_PERIOD_MONTHS, type District, type InstrumentKind } from './mianyang.js';
import type { SeededRandom } from './random.js';

export type Verdict = 'pass' | 'fail';

export interface Verification {
  day: number;
  verdict: Verdict;
}

/** Days relative to the due date, low and high included, and the band's weight. */
type LatenessBand = readonly [low: number, high: number, weight: number];

export interface KindBehaviour {
  kind: InstrumentKind;
  periodMonths: number;
  lateness: readonly LatenessBand[];
  /** Share of instruments already in use at the window's start that are never verified in it. */
  neverShare: number;
  /** Chance, at each due date, that the owner stops having the instrument verified. */
  lapsePerCycle: number;
  failShare: number;
  /** Failure share of the first verification of a new instrument. */
  firstFailShare: number;
  scrapPerYear: number;
  /** Chance that a scrapped instrument is replaced by a new one at the same site. */
  replaceShare: number;
  /** How long before the window an instrument in use at its start was registered (years). */
  maxAgeYears: number;
}

const GOOD_BANDS = [0.5, 0.45, 0.04, 0.01] as const;
const POOR_BANDS = [0.15, 0.45, 0.25, 0.15] as const;

/** Late bands scale with the period: a dispenser is due twice a year. */
const BAND_RANGES: Readonly<Record<InstrumentKind, readonly (readonly [number, number])[]>> = {
  scale: [
    [-30, -1],
    [0, 28],
    [29, 100],
    [101, 270],
  ],
  dispenser: [
    [-20, -1],
    [0, 28],
    [29, 60],
    [61, 150],
  ],
  taximeter: [
    [-30, -1],
    [0, 28],
    [29, 100],
    [101, 270],
  ],
};

const BASE_FAIL_SHARE: Readonly<Record<InstrumentKind, number>> = {
  scale: 0.035,
  dispenser: 0.025,
  taximeter: 0.02,
};

const SCRAP_PER_YEAR: Readonly<Record<InstrumentKind, number>> = {
  scale: 0.035,
  dispenser: 0.025,
  // A meter usually leaves with its car, and taxis are replaced after six to eight years.
  taximeter: 0.07,
};

const REPLACE_SHARE: Readonly<Record<InstrumentKind, number>> = {
  scale: 0.6,
  dispenser: 0.9,
  taximeter: 0.95,
};

function lerp(poor: number, good: number, diligence: number): number {
  return poor + (good - poor) * diligence;
}

export function behaviourFor(district: District, kind: InstrumentKind): KindBehaviour {
  // Filling stations and taxi companies keep their papers in order better than market stalls: the
  // oil companies audit their stations and a taxi's operating permit depends on the meter's seal.
  const diligence =
    kind === 'scale' ? district.diligence : district.diligence + (1 - district.diligence) * 0.6;
  const periodMonths = DEFAULT_PERIOD_MONTHS[kind];
  const cyclesPerYear = 12 / periodMonths;
  return {
    kind,
    periodMonths,
    lateness: BAND_RANGES[kind].map(
      ([low, high], band) => [low, high, lerp(POOR_BANDS[band]!, GOOD_BANDS[band]!, diligence)] as const,
    ),
    neverShare: lerp(0.06, 0.003, diligence),
    lapsePerCycle: lerp(0.03, 0.002, diligence) / cyclesPerYear,
    failShare: BASE_FAIL_SHARE[kind] * lerp(1.5, 1, diligence),
    firstFailShare: 0.01,
    scrapPerYear: SCRAP_PER_YEAR[kind],
    replaceShare: REPLACE_SHARE[kind],
    maxAgeYears: kind === 'taximeter' ? 6 : 8,
  };
}

export interface Window {
  /** First day of the history (day number). */
  start: number;
  /** Last day of the history, the date the register was extracted. */
  end: number;
}

export interface Life {
  verifications: Verification[];
  /** Day number, or undefined while in use at the window's end. */
  scrapped: number | undefined;
}

/** A scrapping day in [from, end] under a constant yearly hazard, or undefined. */
function drawScrapDay(random: SeededRandom, from: number, end: number, perYear: number): number | undefined {
  for (let yearStart = from; yearStart <= end; yearStart += 365) {
    const yearEnd = Math.min(yearStart + 364, end);
    if (random.chance((perYear * (yearEnd - yearStart + 1)) / 365)) return random.int(yearStart, yearEnd);
  }
  return undefined;
}

/** Whether a day is inside the window and before the instrument was scrapped. */
function inWindow(day: number, window: Window, scrapped: number | undefined): boolean {
  return day <= window.end && (scrapped === undefined || day < scrapped);
}

function drawLateness(random: SeededRandom, bands: readonly LatenessBand[]): number {
  let point = random.float();
  for (const [low, high, weight] of bands) {
    if (point < weight) return random.int(low, high);
    point -= weight;
  }
  const [low, high] = bands[bands.length - 1]!;
  return random.int(low, high);
}

/**
 * Simulates one instrument registered on `registered`: its verifications inside the window (dates
 * on or after registration, before scrapping, never after the window's end) and its scrapping.
 */
export function simulateLife(
  random: SeededRandom,
  behaviour: KindBehaviour,
  window: Window,
  registered: number,
): Life {
  const period = behaviour.periodMonths;
  let scrapped = drawScrapDay(
    random,
    Math.max(registered + 30, window.start),
    window.end,
    behaviour.scrapPerYear,
  );
  const verifications: Verification[] = [];

  // The last verification before the window is not in the history, but it sets the phase.
  let last: number;
  let failed = false;
  if (registered >= window.start) {
    const first = registered + (random.chance(0.4) ? 0 : random.int(1, 10));
    if (!inWindow(first, window, scrapped)) return { verifications, scrapped };
    failed = random.chance(behaviour.firstFailShare);
    verifications.push({ day: first, verdict: failed ? 'fail' : 'pass' });
    last = first;
  } else {
    if (random.chance(behaviour.neverShare)) return { verifications, scrapped };
    last = random.int(Math.max(registered, addMonths(window.start, -period)), window.start - 1);
  }

  for (;;) {
    while (failed) {
      const outcome = random.weighted([
        ['again', 85],
        ['scrap', 8],
        ['left', 7],
      ] as const);
      if (outcome === 'left') return { verifications, scrapped };
      if (outcome === 'scrap') {
        const day = last + random.int(1, 45);
        if (inWindow(day, window, scrapped)) scrapped = day;
        return { verifications, scrapped };
      }
      const again = last + random.int(3, 30);
      if (!inWindow(again, window, scrapped)) return { verifications, scrapped };
      failed = random.chance(0.05);
      verifications.push({ day: again, verdict: failed ? 'fail' : 'pass' });
      last = again;
    }
    if (random.chance(behaviour.lapsePerCycle)) return { verifications, scrapped };
    const day = Math.max(last + 1, addMonths(last, period) + drawLateness(random, behaviour.lateness));
    if (!inWindow(day, window, scrapped)) return { verifications, scrapped };
    last = day;
    // An early visit just before the window opened is part of the unrecorded past.
    if (day < window.start) continue;
    failed = random.chance(behaviour.failShare);
    verifications.push({ day, verdict: failed ? 'fail' : 'pass' });
  }
}
