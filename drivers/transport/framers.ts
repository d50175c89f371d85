/**
 * Framers cut a byte stream into frames. They are pure state machines (no timers, no I/O): bytes in,
 * frames and discarded garbage out. Serial data arrives in arbitrary chunks, so every framer must
 * give the same frames whatever the chunking; the tests check exactly that.
 */

export type FramerOutput = { frame: Buffer } | { garbage: Buffer; reason: string };

export interface Framer {
  push(chunk: Buffer): FramerOutput[];
  /**
   * Called by the channel when the line has been idle for `idleFlushMs`: returns what is buffered as
   * a frame (inter-byte-timeout framing) or as garbage (a partial frame that will never complete).
   */
  flushIdle(): FramerOutput[];
  /** Idle time after which `flushIdle` is called; undefined means never. */
  readonly idleFlushMs: number | undefined;
  reset(): void;
}

export interface LineFramerOptions {
  /** Line terminator, CR LF by default. The frame returned excludes it. */
  terminator?: string | Buffer;
  /** Longest line kept; longer input is discarded as garbage. */
  maxLength?: number;
  /** Drop a partial line left after this much silence (e.g. a truncated reply). */
  idleFlushMs?: number;
}

/** Frames ending in a terminator, e.g. CR LF for MT-SICS, A&D and SBI. */
export function lineFramer(options: LineFramerOptions = {}): Framer {
  const terminator =
    typeof options.terminator === 'string' || options.terminator === undefined
      ? Buffer.from(options.terminator ?? '\r\n', 'latin1')
      : options.terminator;
  const maxLength = options.maxLength ?? 256;
  let buffer = Buffer.alloc(0);
  // After an over-long line was thrown away, the rest of it up to the next terminator is garbage too.
  let discarding = false;
  return {
    idleFlushMs: options.idleFlushMs,
    push(chunk) {
      const out: FramerOutput[] = [];
      buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
      let index = buffer.indexOf(terminator);
      while (index >= 0) {
        const line = buffer.subarray(0, index);
        if (discarding) {
          if (line.length > 0) out.push({ garbage: Buffer.from(line), reason: 'rest of an over-long line' });
          discarding = false;
        } else if (line.length > maxLength) out.push({ garbage: Buffer.from(line), reason: 'line too long' });
        else out.push({ frame: Buffer.from(line) });
        buffer = buffer.subarray(index + terminator.length);
        index = buffer.indexOf(terminator);
      }
      if (buffer.length > maxLength + terminator.length) {
        // Keep the last bytes: they may be the start of the terminator split across chunks.
        const keep = terminator.length - 1;
        out.push({
          garbage: Buffer.from(buffer.subarray(0, buffer.length - keep)),
          reason: 'no terminator within the maximum line length',
        });
        buffer = Buffer.from(buffer.subarray(buffer.length - keep));
        discarding = true;
      }
      return out;
    },
    flushIdle() {
      discarding = false;
      if (buffer.length === 0) return [];
      const garbage = Buffer.from(buffer);
      buffer = Buffer.alloc(0);
      return [{ garbage, reason: 'partial line without terminator' }];
    },
    reset() {
      buffer = Buffer.alloc(0);
      discarding = false;
    },
  };
}

export interface DelimitedFramerOptions {
  start: number;
  end: number;
  /** Bytes that follow the end byte and belong to the frame (e.g. a BCC after ETX). */
  trailerLength?: number;
  maxLength?: number;
  idleFlushMs?: number;
}

/**
 * STX ... ETX frames (start byte and end byte included in the frame). Bytes before a start byte
 * are garbage; a start byte inside an unfinished frame restarts the frame, because a lost ETX must
 * not swallow the next good frame.
 */
export function delimitedFramer(options: DelimitedFramerOptions): Framer {
  const trailer = options.trailerLength ?? 0;
  const maxLength = options.maxLength ?? 256;
  let frame: number[] | undefined;
  let trailerLeft = -1;
  let garbage: number[] = [];
  const takeGarbage = (out: FramerOutput[], reason: string) => {
    if (garbage.length > 0) out.push({ garbage: Buffer.from(garbage), reason });
    garbage = [];
  };
  return {
    idleFlushMs: options.idleFlushMs,
    push(chunk) {
      const out: FramerOutput[] = [];
      for (const byte of chunk) {
        if (frame === undefined) {
          if (byte === options.start) {
            takeGarbage(out, 'bytes outside a frame');
            frame = [byte];
          } else garbage.push(byte);
          continue;
        }
        if (trailerLeft > 0) {
          frame.push(byte);
          trailerLeft--;
        } else if (byte === options.start && trailerLeft < 0) {
          garbage.push(...frame);
          takeGarbage(out, 'frame restarted before its end byte');
          frame = [byte];
          continue;
        } else {
          frame.push(byte);
          if (byte === options.end) trailerLeft = trailer;
        }
        if (trailerLeft === 0) {
          out.push({ frame: Buffer.from(frame) });
          frame = undefined;
          trailerLeft = -1;
        } else if (frame.length > maxLength) {
          garbage.push(...frame);
          takeGarbage(out, 'frame longer than the maximum');
          frame = undefined;
          trailerLeft = -1;
        }
      }
      if (garbage.length > maxLength) takeGarbage(out, 'bytes outside a frame');
      return out;
    },
    flushIdle() {
      const out: FramerOutput[] = [];
      if (frame) garbage.push(...frame);
      frame = undefined;
      trailerLeft = -1;
      takeGarbage(out, 'partial frame');
      return out;
    },
    reset() {
      frame = undefined;
      trailerLeft = -1;
      garbage = [];
    },
  };
}

export interface FixedLengthFramerOptions {
  length: number;
  /** When set, a frame must start with this byte; bytes before it are garbage (resynchronisation). */
  sync?: number;
  idleFlushMs?: number;
}

/** Frames of a fixed length, optionally resynchronised on a leading byte. */
export function fixedLengthFramer(options: FixedLengthFramerOptions): Framer {
  let buffer: number[] = [];
  return {
    idleFlushMs: options.idleFlushMs,
    push(chunk) {
      const out: FramerOutput[] = [];
      for (const byte of chunk) {
        if (buffer.length === 0 && options.sync !== undefined && byte !== options.sync) {
          out.push({ garbage: Buffer.from([byte]), reason: 'byte before the sync byte' });
          continue;
        }
        buffer.push(byte);
        if (buffer.length === options.length) {
          out.push({ frame: Buffer.from(buffer) });
          buffer = [];
        }
      }
      return mergeGarbage(out);
    },
    flushIdle() {
      if (buffer.length === 0) return [];
      const garbage = Buffer.from(buffer);
      buffer = [];
      return [{ garbage, reason: 'partial frame' }];
    },
    reset() {
      buffer = [];
    },
  };
}

/** Frames delimited by silence on the line (Modbus RTU t3.5, devices with no delimiter at all). */
export function interByteTimeoutFramer(options: { idleMs: number; maxLength?: number }): Framer {
  const maxLength = options.maxLength ?? 512;
  let buffer = Buffer.alloc(0);
  return {
    idleFlushMs: options.idleMs,
    push(chunk) {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > maxLength) {
        const garbage = buffer;
        buffer = Buffer.alloc(0);
        return [{ garbage, reason: 'no pause within the maximum frame length' }];
      }
      return [];
    },
    flushIdle() {
      if (buffer.length === 0) return [];
      const frame = buffer;
      buffer = Buffer.alloc(0);
      return [{ frame }];
    },
    reset() {
      buffer = Buffer.alloc(0);
    },
  };
}

/** Joins consecutive garbage outputs so a burst of noise is reported once. */
export function mergeGarbage(outputs: FramerOutput[]): FramerOutput[] {
  const merged: FramerOutput[] = [];
  for (const output of outputs) {
    const last = merged[merged.length - 1];
    if (last && 'garbage' in last && 'garbage' in output) {
      merged[merged.length - 1] = {
        garbage: Buffer.concat([last.garbage, output.garbage]),
        reason: last.reason,
      };
    } else merged.push(output);
  }
  return merged;
}
