import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc16Modbus,
  hasValidCrc,
  RtuRequestParser,
  requestLength,
  rtuFrame,
  withCrc,
} from './rtu-framing.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function frames(events: ReturnType<RtuRequestParser['push']>): string[] {
  return events.flatMap((e) => ('frame' in e ? [e.frame.toString('hex')] : []));
}

describe('CRC-16/MODBUS', () => {
  it('matches the specification example and the check value', () => {
    // Modbus over Serial Line V1.02 appendix: read 10 holding registers from 0 of slave 1.
    expect(withCrc(hex('01 03 00 00 00 0a')).toString('hex')).toBe('01030000000ac5cd');
    // The catalogue check value of CRC-16/MODBUS for "123456789".
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
    expect(hasValidCrc(hex('01 03 00 00 00 0a c5 cd'))).toBe(true);
    expect(hasValidCrc(hex('01 03 00 00 00 0a c5 ce'))).toBe(false);
  });

  it('builds the reply of the reference §4.1 dump', () => {
    const pdu = hex('03 0c 0000 3039 0001 0001 449a 5000');
    const frame = rtuFrame(1, pdu);
    expect(frame.subarray(0, 15).toString('hex')).toBe('01030c0000303900010001449a5000');
    expect(hasValidCrc(frame)).toBe(true);
  });
});

describe('requestLength', () => {
  it('knows the request length from the function code', () => {
    expect(requestLength(hex('01'))).toBe('more');
    expect(requestLength(hex('01 03'))).toBe(8);
    expect(requestLength(hex('01 06'))).toBe(8);
    expect(requestLength(hex('01 10 00 00 00 02'))).toBe('more');
    expect(requestLength(hex('01 10 00 00 00 02 04'))).toBe(13);
    expect(requestLength(hex('01 0f 00 00 00 0a 02'))).toBe(11);
    expect(requestLength(hex('01 64'))).toBe('unknown');
  });
});

describe('RtuRequestParser', () => {
  const read = withCrc(hex('01 03 00 00 00 0a'));
  const write = withCrc(hex('02 10 00 08 00 02 04 00 01 00 02'));
  const coil = withCrc(hex('01 05 00 03 ff 00'));

  it('splits back-to-back requests without waiting for silence', () => {
    const parser = new RtuRequestParser();
    expect(frames(parser.push(Buffer.concat([read, write, coil])))).toEqual([
      read.toString('hex'),
      write.toString('hex'),
      coil.toString('hex'),
    ]);
    expect(parser.buffered).toBe(0);
  });

  it('resynchronises after garbage and a frame with a bad CRC', () => {
    const parser = new RtuRequestParser();
    const broken = Buffer.from(read);
    broken[4] = broken[4]! ^ 0x40;
    const events = parser.push(Buffer.concat([hex('ff 00 13'), broken, write]));
    expect(frames(events)).toEqual([write.toString('hex')]);
    expect(events.some((e) => 'discarded' in e)).toBe(true);
  });

  it('returns a complete unknown-function frame after a silence and drops junk', () => {
    const parser = new RtuRequestParser();
    const custom = withCrc(hex('01 41 01 02'));
    expect(parser.push(custom)).toEqual([]);
    expect(frames(parser.flush())).toEqual([custom.toString('hex')]);
    parser.push(hex('01 03 00'));
    expect(parser.flush()).toEqual([
      expect.objectContaining({ reason: 'incomplete frame before a silence' }),
    ]);
    expect(parser.buffered).toBe(0);
  });

  it('finds the same frames however the bytes are chunked', () => {
    const stream = Buffer.concat([read, hex('00'), write, coil, read]);
    const whole = frames(new RtuRequestParser().push(stream));
    fc.assert(
      fc.property(fc.array(fc.nat(stream.length), { maxLength: 12 }), (cuts) => {
        const parser = new RtuRequestParser();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const found: string[] = [];
        let last = 0;
        for (const point of [...points, stream.length]) {
          found.push(...frames(parser.push(stream.subarray(last, point))));
          last = point;
        }
        expect(found).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws or hangs on random bytes, and keeps its buffer bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const parser = new RtuRequestParser();
        for (const chunk of chunks) {
          for (const event of parser.push(chunk)) {
            if ('frame' in event) expect(hasValidCrc(event.frame)).toBe(true);
          }
          expect(parser.buffered).toBeLessThanOrEqual(300 + 256);
        }
        parser.flush();
        expect(parser.buffered).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});
