import { throwIfAborted } from '../abort.js';
import { Dec } from '../decimal.js';
import { MetrogateError } from '../errors.js';

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

export interface HttpPulseGeneratorOptions {
  /**
   * Where to POST `{"count": n, "ratePerSecond": r}`; the endpoint answers 2xx once those pulses
   * are out (the taximeter simulator's `POST /pulses` does; so can a bench's own gateway).
   */
  url: string;
  /**
   * Longest run of pulses per request, in seconds at the rate. An abort takes effect between
   * requests, so it waits at most this long and `emitted` stays exact. Default 1.
   */
  batchSeconds?: number;
  /** Allowed beyond a batch's own duration before the endpoint counts as silent. Default 10 s. */
  timeoutMs?: number;
}

/** A pulse generator behind an HTTP endpoint, fed in batches. */
export class HttpPulseGenerator implements PulseGenerator {
  readonly description: string;
  private readonly options: Required<HttpPulseGeneratorOptions>;
  private count = 0;

  constructor(options: HttpPulseGeneratorOptions) {
    this.options = { batchSeconds: 1, timeoutMs: 10_000, ...options };
    this.description = `pulse generator at ${options.url}`;
  }

  get emitted(): number {
    return this.count;
  }

  async emit(count: number, ratePerSecond: number, signal?: AbortSignal): Promise<void> {
    checkEmission(this.description, count, ratePerSecond);
    let left = count;
    while (left > 0) {
      throwIfAborted(signal);
      const batch = Math.min(left, Math.max(1, Math.floor(ratePerSecond * this.options.batchSeconds)));
      await this.post(batch, ratePerSecond);
      this.count += batch;
      left -= batch;
    }
  }

  /** One batch; deliberately not tied to the caller's signal, so that a batch sent is a batch counted. */
  private async post(count: number, ratePerSecond: number): Promise<void> {
    const details = { port: this.options.url };
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count, ratePerSecond }),
        signal: AbortSignal.timeout((count / ratePerSecond) * 1000 + this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new MetrogateError(
        timedOut ? 'MG_ERR_TIMEOUT' : 'MG_ERR_CONNECT_FAILED',
        `${this.description}: ${timedOut ? 'no answer in time' : (error as Error).message} while sending ${count} pulses`,
        details,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      throw new MetrogateError(
        'MG_ERR_DEVICE_ERROR',
        `${this.description}: HTTP ${response.status} for ${count} pulses: ${text.slice(0, 200)}`,
        details,
      );
    }
  }
}

/** MG_ERR_INPUT_INVALID for a count that is not a whole number ≥ 0 or a rate that is not > 0. */
export function checkEmission(description: string, count: number, ratePerSecond: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${description}: pulse count ${count} is not a whole number ≥ 0`,
    );
  }
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${description}: pulse rate ${ratePerSecond}/s is not above 0`,
    );
  }
}

/** Whole pulses a generator emits for `metres` at the constant k (pulses/km), rounded half-up. */
export function pulsesForDistance(metres: number | string, k: number | string): number {
  const pulses = new Dec(metres).mul(k).div(1000).toDecimalPlaces(0, Dec.ROUND_HALF_UP);
  if (pulses.isNegative() || !pulses.isFinite())
    throw new RangeError(`no pulse count for ${metres} m at k = ${k}`);
  return pulses.toNumber();
}

/** Pulse rate (per second) that simulates `kmPerHour` at the constant k (pulses/km). */
export function pulseRateForSpeed(kmPerHour: number | string, k: number | string): number {
  return new Dec(kmPerHour).mul(k).div(3600).toNumber();
}

/**
 * Runs the bench as a vehicle would drive: the pulses of `metres` at `kmPerHour`, at the bench's
 * constant k (from the bench or instrument configuration). Resolves with the pulses emitted.
 */
export async function emitDistance(
  generator: PulseGenerator,
  k: number | string,
  metres: number | string,
  kmPerHour: number | string,
  signal?: AbortSignal,
): Promise<number> {
  const count = pulsesForDistance(metres, k);
  await generator.emit(count, pulseRateForSpeed(kmPerHour, k), signal);
  return count;
}
