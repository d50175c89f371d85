/**
 * The coverage report as users and scripts read it (contracts.md §6): one row per region × kind
 * with its counts, rates and target, the totals, and the reference standards falling due.
 *
 * Beyond the contract's row: `traceabilityRate` (量传溯源覆盖率 as the gateway can measure it: the
 * share of the period's verifications whose reference standards were all within their own
 * calibration period; verifications that recorded no standards are left out, null when none
 * recorded any), `totals` (rows whose `region` or `kind` is `*`: per region, per kind, and over
 * all) and `standardsDue`.
 */
import type { CoverageConfig } from '../config/gateway-config.js';
import { describeStandard, type StoredReferenceStandard } from '../store/standards.js';
import { type DayKey, daysBetween, formatDate, parseDate, plusDays } from './dates.js';
import { addCounts, COVERAGE_KINDS, type CoverageCounts, type CoverageGroup, emptyCounts } from './engine.js';
import { ALL, meetsTarget, rate, targetFor, targetText } from './rates.js';
import type { CoverageReport, CoverageRow, StandardDue } from './wire.js';

export type { CoverageReport, CoverageRow, StandardDue } from './wire.js';

/** How far ahead the report looks for reference standards falling due. */
export const STANDARDS_DUE_DAYS = 60;

export function coverageRow(
  region: string,
  kind: string,
  counts: CoverageCounts,
  config: CoverageConfig,
): CoverageRow {
  const target = targetFor(config, region, kind);
  return {
    region,
    kind,
    inUse: counts.inUse,
    due: counts.due,
    inspected: counts.inspected,
    inspectionRate: rate(counts.inspected, counts.due),
    valid: counts.valid,
    validRate: rate(counts.valid, counts.inUse),
    overdue: counts.due - counts.inspected,
    passRate: rate(counts.passes, counts.verifications),
    target: targetText(target),
    meetsTarget: meetsTarget(counts.inspected, counts.due, target),
    traceabilityRate: rate(counts.standardsValid, counts.standardsKnown),
  };
}

const KIND_ORDER = new Map<string, number>(COVERAGE_KINDS.map((kind, index) => [kind, index]));

/** Regions in code-point order (stable across locales), kinds in the order scale, dispenser, taximeter. */
export function compareRegionKind(
  a: { region: string; kind: string },
  b: { region: string; kind: string },
): number {
  if (a.region !== b.region) {
    if (a.region === ALL) return 1;
    if (b.region === ALL) return -1;
    return a.region < b.region ? -1 : 1;
  }
  if (a.kind === b.kind) return 0;
  if (a.kind === ALL) return 1;
  if (b.kind === ALL) return -1;
  return (KIND_ORDER.get(a.kind) ?? 99) - (KIND_ORDER.get(b.kind) ?? 99) || (a.kind < b.kind ? -1 : 1);
}

/** The rows of the groups with an instrument in use, sorted. */
export function coverageRows(groups: readonly CoverageGroup[], config: CoverageConfig): CoverageRow[] {
  return groups
    .filter((group) => group.counts.inUse > 0)
    .map((group) => coverageRow(group.region, group.kind, group.counts, config))
    .sort(compareRegionKind);
}

/** Per region (kind `*`), per kind (region `*`) and over all (`*`, `*`). */
export function coverageTotals(groups: readonly CoverageGroup[], config: CoverageConfig): CoverageRow[] {
  const byRegion = new Map<string, CoverageCounts>();
  const byKind = new Map<string, CoverageCounts>();
  const all = emptyCounts();
  for (const { region, kind, counts } of groups) {
    if (counts.inUse === 0) continue;
    addCounts(byRegion.get(region) ?? byRegion.set(region, emptyCounts()).get(region)!, counts);
    addCounts(byKind.get(kind) ?? byKind.set(kind, emptyCounts()).get(kind)!, counts);
    addCounts(all, counts);
  }
  const rows = [
    ...[...byRegion].map(([region, counts]) => coverageRow(region, ALL, counts, config)),
    ...[...byKind].map(([kind, counts]) => coverageRow(ALL, kind, counts, config)),
    coverageRow(ALL, ALL, all, config),
  ];
  return rows.sort(compareRegionKind);
}

/**
 * Reference standards whose calibration falls due within `days` of `today`, and those already
 * past due (a standard is valid through its due date), soonest first.
 */
export function standardsDue(
  standards: readonly StoredReferenceStandard[],
  today: DayKey,
  days = STANDARDS_DUE_DAYS,
): StandardDue[] {
  const horizon = plusDays(today, days);
  const due: StandardDue[] = [];
  for (const { standard } of standards) {
    const dueDate = parseDate(standard.dueDate);
    if (dueDate === undefined || dueDate > horizon) continue;
    due.push({
      id: standard.id,
      kind: standard.kind,
      description: describeStandard(standard),
      certificateNumber: standard.certificateNumber,
      dueDate: formatDate(dueDate),
      daysLeft: daysBetween(today, dueDate),
    });
  }
  return due.sort((a, b) =>
    a.dueDate === b.dueDate ? (a.id < b.id ? -1 : 1) : a.dueDate < b.dueDate ? -1 : 1,
  );
}

export function buildReport(
  period: { from: DayKey; to: DayKey },
  groups: readonly CoverageGroup[],
  config: CoverageConfig,
  standards: StandardDue[],
): CoverageReport {
  return {
    from: formatDate(period.from),
    to: formatDate(period.to),
    rows: coverageRows(groups, config),
    totals: coverageTotals(groups, config),
    standardsDue: standards,
  };
}
