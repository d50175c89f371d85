/**
 * The shape of a stored verification record (ARCHITECTURE.md "Verification", OIML D 31 / WELMEC
 * 7.2 stored-data rules): everything needed to reconstruct the verdict, who made it with which
 * software, and the chain that makes any later change visible.
 */
import type { EvaluationResult } from '../verification/types.js';

/** The instrument as the register knows it (owner and site go on the certificate). */
export interface RecordInstrument {
  /** Register id (器具编号). */
  id: string;
  kind: 'scale' | 'dispenser' | 'taximeter';
  /** Free text such as 电子计价秤 / 加油机 / 出租汽车计价器. */
  category?: string;
  manufacturer?: string;
  model?: string;
  serialNumber?: string;
  owner?: string;
  site?: string;
  region?: string;
}

/** A reference standard used, as recorded for traceability (量传溯源). */
export interface RecordStandard {
  id: string;
  kind: 'weight-set' | 'can' | 'pulse-generator' | 'thermometer';
  description: string;
  certificateNumber: string;
  /** Due date of the standard's own calibration (YYYY-MM-DD). */
  dueDate: string;
}

/** What the caller hands to the store; the store adds sequence, id, chain hash and HMAC. */
export interface NewVerificationRecord {
  instrument: RecordInstrument;
  /** The bench record as evaluated (contracts.md §1), raw readings included. */
  bench: Record<string, unknown>;
  result: EvaluationResult;
  /** Date the verification is valid until (pass only), YYYY-MM-DD. */
  validUntil?: string;
  /** What the device said about itself (driver identity) and its event counters if it reports them. */
  device?: {
    driverId?: string;
    identity?: Record<string, string | undefined>;
    eventCounters?: Record<string, string>;
  };
  operator: string;
  standards: RecordStandard[];
  /** Time of the verification (ISO 8601); defaults to now. */
  performedAt?: string;
}

export interface SoftwareId {
  name: 'metrogate';
  version: string;
  /** SHA-256 of the running code (hex). */
  checksum: string;
}

export interface StoredVerificationRecord extends NewVerificationRecord {
  /** Position in the chain, from 1. */
  sequence: number;
  /** Human-readable record id, e.g. VR-000042. */
  id: string;
  performedAt: string;
  /** When the store wrote the record (its own clock, ISO 8601 UTC); performedAt may be earlier. */
  recordedAt: string;
  software: SoftwareId;
  /** Hash of the previous record (64 zeros for the first). */
  previousHash: string;
  /** SHA-256 over the canonical JSON of the record with previousHash (hex). */
  hash: string;
  /** HMAC-SHA-256 with the gateway's record key over the same canonical JSON (hex). */
  hmac: string;
}
