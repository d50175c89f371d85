/**
 * Modbus RTU request framing as a slave does it without timing the line: the function code says how
 * long the request is (Modbus over Serial Line V1.02 §2.5.1 and the PDU layouts of the application
 * protocol), the CRC confirms it. A 3.5-character silence is not needed to find the end of a known
 * request, which is what lets a 115200-baud cycle take 7 ms instead of 30. Silence is still used to
 * throw away the remains of a broken frame, and to end requests of function codes whose length the
 * server cannot know.
 */

/** CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF; sent low byte first. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Appends the CRC (low byte first) to an address + PDU. */
export function withCrc(body: Uint8Array): Buffer {
  const crc = crc16Modbus(body);
  return Buffer.concat([Buffer.from(body), Buffer.from([crc & 0xff, crc >>> 8])]);
}

export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

/** An RTU frame (address + PDU + CRC) for a reply. */
export function rtuFrame(unitId: number, pdu: Uint8Array): Buffer {
  return withCrc(Buffer.concat([Buffer.from([unitId & 0xff]), Buffer.from(pdu)]));
}

/** The maximum RTU frame: 256 bytes (address + 253-byte PDU + CRC). */
export const MAX_RTU_FRAME = 256;

/**
 * Length of the request at the start of `buffer`: a byte count, 'more' when the bytes that decide it
 * have not arrived, or 'unknown' for a function code whose request length the server cannot know.
 */
export function requestLength(buffer: Uint8Array): number | 'more' | 'unknown' {
  if (buffer.length < 2) return 'more';
  switch (buffer[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 8:
      return 8;
    case 7:
    case 11:
    case 12:
    case 17:
      return 4;
    case 15:
    case 16:
      return buffer.length < 7 ? 'more' : 9 + buffer[6]!;
    case 20:
    case 21:
      return buffer.length < 3 ? 'more' : 5 + buffer[2]!;
    case 22:
      return 10;
    case 23:
      return buffer.length < 11 ? 'more' : 13 + buffer[10]!;
    case 24:
      return 6;
    case 43:
      return 7;
    default:
      return 'unknown';
  }
}

export type RtuParseEvent = { frame: Buffer } | { discarded: Buffer; reason: string };

/**
 * Splits a byte stream into RTU requests. On a CRC mismatch it drops one byte and tries again, so a
 * burst of noise costs the frames it hit and the parser finds the next good one. Never throws;
 * every call consumes bytes or stops, so it cannot loop forever.
 */
export class RtuRequestParser {
  private buffer: Buffer = Buffer.alloc(0);

  get buffered(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): RtuParseEvent[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const events: RtuParseEvent[] = [];
    let discarded: number[] = [];
    let reason = '';
    const dropFirst = (why: string) => {
      discarded.push(this.buffer[0]!);
      reason = why;
      this.buffer = this.buffer.subarray(1);
    };
    const flushDiscarded = () => {
      if (discarded.length > 0) events.push({ discarded: Buffer.from(discarded), reason });
      discarded = [];
    };
    while (this.buffer.length > 0) {
      const length = requestLength(this.buffer);
      if (length === 'more') break;
      if (length === 'unknown') {
        // Either a request of a function this server cannot size (ended by the next silence) or
        // noise: a whole, CRC-valid known request further on means the head was noise.
        const next = this.findValidFrame(1);
        if (next !== undefined || this.buffer.length > MAX_RTU_FRAME) {
          dropFirst('unknown function code');
          continue;
        }
        break;
      }
      if (length > MAX_RTU_FRAME) {
        dropFirst('declared length beyond 256 bytes');
        continue;
      }
      if (this.buffer.length < length) break;
      const candidate = this.buffer.subarray(0, length);
      if (hasValidCrc(candidate)) {
        flushDiscarded();
        events.push({ frame: Buffer.from(candidate) });
        this.buffer = this.buffer.subarray(length);
      } else {
        dropFirst('CRC mismatch');
      }
    }
    flushDiscarded();
    return events;
  }

  /** Offset of the first complete request with a valid CRC at or after `from`. */
  private findValidFrame(from: number): number | undefined {
    for (let offset = from; offset + 4 <= this.buffer.length; offset++) {
      const rest = this.buffer.subarray(offset);
      const length = requestLength(rest);
      if (typeof length === 'number' && length <= rest.length && hasValidCrc(rest.subarray(0, length))) {
        return offset;
      }
    }
    return undefined;
  }

  /**
   * Called after a silence: a whole frame of an unknown function code (valid CRC) is returned so the
   * server can answer exception 1; anything else left over is discarded.
   */
  flush(): RtuParseEvent[] {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    if (rest.length === 0) return [];
    if (requestLength(rest) === 'unknown' && hasValidCrc(rest)) return [{ frame: Buffer.from(rest) }];
    return [{ discarded: Buffer.from(rest), reason: 'incomplete frame before a silence' }];
  }
}
