/**
 * The distance signal of a taximeter bench: a generator that feeds the meter N pulses at a given
 * rate (JJG 517: 50–1500 r/min, counted to 0.1). The simulator implements it by counting pulses
 * into its meter model; a real bench's generator (a USB pulse card, a PLC output) sits behind the
 * same interface, so the verification procedure does not know which one it drives.
 */
export interface PulseGenerator {
  readonly description: string;
  /**
   * Emits `count` pulses at `ratePerSecond`, resolving when the last pulse has gone out (or
   * rejecting with MG_ERR_ABORTED when `signal` fires; the pulses already sent stay counted).
   */
  emit(count: number, ratePerSecond: number, signal?: AbortSignal): Promise<void>;
  /** Pulses emitted since this generator was created. */
  readonly emitted: number;
}
