/**
 * Coverage indicators (contracts.md §6, ARCHITECTURE.md "Coverage indicators"): due, inspected,
 * valid and overdue instruments per region × kind over a period, their rates against the targets,
 * traceability of the standards used, the service that keeps them
 * published in InfluxDB and MQTT, and the cache the HTTP API answers from.
 */
import type { CoverageConfig } from '../config/gateway-config.js';
import type { MetrogateStore } from '../store/store.js';
import { type DayKey, localDay } from './dates.js';
import { type CoverageFilter, type CoveragePeriod, CoverageState, type PassProgress } from './engine.js';
import { buildReport, type CoverageReport, standardsDue } from './report.js';

export * from './cache.js';
export * from './dates.js';
export * from './engine.js';
export * from './overdue.js';
export * from './rates.js';
export * from './report.js';
export * from './service.js';

export interface ComputeCoverageOptions {
  period: CoveragePeriod;
  config: CoverageConfig;
  filter?: CoverageFilter;
  /** The date the standards' due dates are counted from (default: today on the machine's clock). */
  today?: DayKey;
  onProgress?: (progress: PassProgress) => void;
}

/** One full computation over the store: the state (for the overdue list) and the report. */
export function computeCoverage(
  store: Pick<MetrogateStore, 'db' | 'standards'>,
  options: ComputeCoverageOptions,
): { state: CoverageState; report: CoverageReport } {
  const state = new CoverageState(options.period, options.config, options.filter).loadSync(
    store.db,
    options.onProgress,
  );
  const standards = standardsDue(store.standards.list(), options.today ?? localDay(new Date()));
  return { state, report: buildReport(options.period, state.groups(), options.config, standards) };
}
