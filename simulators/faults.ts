/**
 * Faults a simulator injects on demand, so that every failure a real line produces can be tested:
 * a device that stops answering, a byte hit by noise, a wrong checksum or CRC, a frame cut short,
 * a cable pulled and plugged back.
 */
import { z } from 'zod';

export const FAULT_KINDS = ['silence', 'garble', 'bad-checksum', 'partial', 'disconnect'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultRequestSchema = z.object({
  kind: z.enum(FAULT_KINDS),
  /** Number of frames affected; 0 means every frame until the fault is cleared. */
  count: z.number().int().min(0).default(1),
  /** For `disconnect`: how long the device stays unplugged. */
  durationMs: z.number().int().min(0).max(600_000).default(1000),
});
export type FaultRequest = z.input<typeof faultRequestSchema>;

/** What a protocol speaker tells the injector about a frame it is about to send. */
export interface FrameMeta {
  /** Returns the frame with a deliberately wrong checksum or CRC; absent when the protocol has none. */
  corruptChecksum?: (frame: Buffer) => Buffer;
}

interface ActiveFault {
  kind: FaultKind;
  remaining: number;
  durationMs: number;
}

export class FaultInjector {
  private active: ActiveFault | undefined;
  /** Frames affected so far, per kind, for the control interface. */
  readonly counters: Record<FaultKind, number> = {
    silence: 0,
    garble: 0,
    'bad-checksum': 0,
    partial: 0,
    disconnect: 0,
  };

  inject(request: FaultRequest): ActiveFault {
    const parsed = faultRequestSchema.parse(request);
    this.active = { kind: parsed.kind, remaining: parsed.count, durationMs: parsed.durationMs };
    return this.active;
  }

  clear(): void {
    this.active = undefined;
  }

  get current(): { kind: FaultKind; remaining: number } | undefined {
    return this.active ? { kind: this.active.kind, remaining: this.active.remaining } : undefined;
  }

  /** Takes a pending disconnect fault, if any (the host acts on it). */
  takeDisconnect(): number | undefined {
    if (this.active?.kind !== 'disconnect') return undefined;
    const { durationMs } = this.active;
    this.counters.disconnect++;
    this.active = undefined;
    return durationMs;
  }

  /**
   * Applies the active fault to an outgoing frame. Returns the bytes to send, or undefined to send
   * nothing (silence).
   */
  apply(frame: Buffer, meta: FrameMeta = {}): Buffer | undefined {
    const fault = this.active;
    if (!fault || fault.kind === 'disconnect') return frame;
    if (fault.remaining > 0) {
      fault.remaining--;
      if (fault.remaining === 0) this.active = undefined;
    }
    this.counters[fault.kind]++;
    switch (fault.kind) {
      case 'silence':
        return undefined;
      case 'partial':
        return frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)));
      case 'bad-checksum':
        return meta.corruptChecksum ? meta.corruptChecksum(Buffer.from(frame)) : garbleMiddle(frame);
      case 'garble':
        return garbleMiddle(frame);
    }
  }
}

/** Flips bit 6 of the middle byte: a digit becomes a letter or control character, as line noise does. */
export function garbleMiddle(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  if (copy.length === 0) return copy;
  const index = Math.floor(copy.length / 2);
  copy[index] = copy[index]! ^ 0x40;
  return copy;
}
