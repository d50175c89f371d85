/**
 * The shapes the API answers with, as the zod schemas of gateway/http/ declare them. Written out
 * here because the browser program cannot import the server's modules (their types pull in node).
 */

export type Role = 'technician' | 'admin' | 'regulator';
export type Localized = { en: string; zh: string };

export interface LiveReading {
  device: string;
  channel: string;
  value: string;
  unit: string;
  quality: string;
  ts: string;
}

export interface Device {
  id: string;
  driver: string;
  kind: string;
  region?: string;
  instrumentId?: string;
  bus: string;
  pollIntervalMs: number;
  pollRateHz: number;
  state: 'online' | 'offline' | 'demoted';
  phase: string;
  polls: number;
  pollErrors: number;
  skipped: number;
  consecutiveFailures: number;
  lastPollAt?: string;
  lastError?: { code: string; message: string };
  readings: LiveReading[];
}

export interface DeviceDetail extends Device {
  history: Record<string, LiveReading[]>;
}

export interface TestResult {
  test: string;
  pass: boolean;
  reason?: string;
  load?: string;
  error?: string;
  mpe?: string;
  [field: string]: unknown;
}

export interface EvaluationResult {
  verdict: 'pass' | 'fail';
  ruleSet: string;
  stage: string;
  tests: TestResult[];
}

export type PromptAction = 'place-load' | 'rounding-load' | 'extra-load' | 'values';

export interface SessionPrompt {
  action: PromptAction;
  step: number;
  instruction: Localized;
  load?: string;
  position?: string;
  extraLoad?: string;
  indication?: string;
  roundingWeight?: string;
  retry?: { code: string; message: string };
}

export interface SessionStep {
  index: number;
  id: string;
  kind: string;
  instruction: Localized;
  load?: string;
  position?: string;
  direction?: string;
  extraLoad?: string;
  captured?: Record<string, string>;
  result?: TestResult;
  summary?: string;
}

export type SessionState =
  | 'awaiting-load'
  | 'reading'
  | 'awaiting-rounding-load'
  | 'awaiting-extra-load'
  | 'awaiting-values'
  | 'ready'
  | 'completed'
  | 'failed'
  | 'cancelled';

export interface Session {
  id: string;
  kind: string;
  device?: string;
  ruleSet: string;
  stage: string;
  instrument: Record<string, unknown>;
  operator: string;
  standards: string[];
  rounding?: boolean;
  unit?: string;
  state: SessionState;
  step: number;
  totalSteps: number;
  prompt?: SessionPrompt;
  steps: SessionStep[];
  error?: { code: string; message: string };
  result?: EvaluationResult;
  record?: { id: string; hash: string; verdict: string; validUntil?: string };
  createdAt: string;
  updatedAt: string;
}

export interface Standard {
  id: string;
  kind: string;
  description: string;
  certificateNumber: string;
  calibrationDate: string;
  dueDate: string;
  valid: boolean;
}

// The server's own wire types: an import-free module, erased from the bundle.
export type {
  CoverageReport,
  CoverageRow,
  OverdueInstrument,
  StandardDue,
} from '../../../gateway/coverage/wire.js';

export interface RecordSummary {
  id: string;
  sequence: number;
  instrument: { id: string; kind: string; [field: string]: unknown };
  ruleSet: string;
  stage: string;
  verdict: 'pass' | 'fail';
  performedAt: string;
  validUntil?: string;
  operator: string;
  hash: string;
}

export interface StoredRecord {
  id: string;
  sequence: number;
  instrument: { id: string; kind: string; [field: string]: unknown };
  bench: Record<string, unknown>;
  result: EvaluationResult;
  validUntil?: string;
  operator: string;
  standards: { id: string; [field: string]: unknown }[];
  performedAt: string;
  recordedAt: string;
  software: { name: string; version: string; checksum: string };
  previousHash: string;
  hash: string;
  hmac: string;
}

export interface ChainReport {
  chain: string;
  intact: boolean;
  count: number;
  head?: { id: string; sequence: number; hash: string };
  problem?: { kind: string; recordId: string; sequence: number; message: string };
}

export interface ChainCheck {
  intact: boolean;
  records: ChainReport;
  audit: ChainReport;
}

export interface Instrument {
  id: string;
  kind: string;
  category: string;
  region: string;
  owner: string;
  site: string;
  status: 'in-use' | 'scrapped';
  registered: string;
  scrapped: string | null;
  periodMonths: number | null;
  lastVerification: { date: string; verdict: 'pass' | 'fail'; record: string | null } | null;
}

export const SCALE_RULE_SETS = ['JJG539-2016', 'OIML-R76-1:2006'] as const;
export const STAGES = ['initial', 'subsequent', 'in-service'] as const;
export const KINDS = ['scale', 'dispenser', 'taximeter'] as const;
export const ACCURACY_CLASSES = ['I', 'II', 'III', 'IIII'] as const;
