/**
 * The coverage answers as they go over the wire (contracts.md §6: `metrogate coverage --json`, the
 * HTTP API), with no imports, so that the web dashboards (dashboards/web, a browser build) use these
 * very types instead of copies.
 */

/** A type, not an interface, so that it is a CoverageEvent (which has an index signature). */
export type CoverageRow = {
  region: string;
  kind: string;
  inUse: number;
  due: number;
  inspected: number;
  inspectionRate: string | null;
  valid: number;
  validRate: string | null;
  overdue: number;
  passRate: string | null;
  target: string;
  /** inspectionRate ≥ target, compared exactly; null when nothing fell due (no rate to judge). */
  meetsTarget: boolean | null;
  traceabilityRate: string | null;
};

export interface StandardDue {
  id: string;
  kind: string;
  description: string;
  certificateNumber: string;
  dueDate: string;
  /** Days from the report date to the due date; negative when it is already past. */
  daysLeft: number;
}

export interface CoverageReport {
  from: string;
  to: string;
  rows: CoverageRow[];
  totals: CoverageRow[];
  standardsDue: StandardDue[];
}

/** One instrument of the recall list (`coverage overdue`). */
export interface OverdueInstrument {
  instrument: string;
  region: string;
  kind: string;
  owner: string;
  site: string;
  /** Last verification before the period plus the period, or the registration date if none. */
  dueDate: string;
  /** Days from the due date to the end of the period (0 when it fell due that day). */
  daysOverdue: number;
  /** The last verification before the period, or null. */
  lastVerified: string | null;
}
