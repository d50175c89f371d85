import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delimitedFramer,
  type Framer,
  type FramerOutput,
  fixedLengthFramer,
  interByteTimeoutFramer,
  lineFramer,
} from './framers.js';

function framesOf(outputs: FramerOutput[]): string[] {
  return outputs.flatMap((o) => ('frame' in o ? [o.frame.toString('latin1')] : []));
}

/** Feeds `bytes` split at the given cut points and collects frames. */
function feed(framer: Framer, bytes: Buffer, cuts: number[]): FramerOutput[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: FramerOutput[] = [];
  let last = 0;
  for (const point of [...points, bytes.length]) {
    out.push(...framer.push(bytes.subarray(last, point)));
    last = point;
  }
  return out;
}

describe('lineFramer', () => {
  it('cuts CR LF lines and keeps partial input for the next chunk', () => {
    const framer = lineFramer();
    expect(framesOf(framer.push(Buffer.from('S S     100.00 g\r\nS D')))).toEqual(['S S     100.00 g']);
    expect(framesOf(framer.push(Buffer.from('      5.00 g\r\n')))).toEqual(['S D      5.00 g']);
  });

  it('reports an over-long line as garbage instead of growing without bound', () => {
    const framer = lineFramer({ maxLength: 8 });
    const out = framer.push(Buffer.from('0123456789abcdef'));
    expect(out.some((o) => 'garbage' in o)).toBe(true);
    expect(framesOf(framer.push(Buffer.from('\r\nok\r\n')))).toEqual(['ok']);
  });

  it('flushes a partial line after silence as garbage', () => {
    const framer = lineFramer({ idleFlushMs: 10 });
    framer.push(Buffer.from('S S   1'));
    const out = framer.flushIdle();
    expect(out).toHaveLength(1);
    expect('garbage' in out[0]!).toBe(true);
  });

  it('gives the same frames whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[ -~]{0,20}$/), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (lines, cuts) => {
          const text = Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');
          expect(framesOf(feed(lineFramer(), text, cuts))).toEqual(lines);
        },
      ),
    );
  });
});

describe('delimitedFramer', () => {
  const stxEtx = () => delimitedFramer({ start: 0x02, end: 0x03 });

  it('takes STX..ETX frames and reports bytes outside frames as garbage', () => {
    const out = stxEtx().push(Buffer.from([0x41, 0x02, 0x31, 0x32, 0x03, 0x42]));
    expect(out[0]).toEqual({ garbage: Buffer.from([0x41]), reason: 'bytes outside a frame' });
    expect(framesOf(out)).toEqual(['\x0212\x03']);
  });

  it('restarts on a start byte inside an unfinished frame', () => {
    const out = stxEtx().push(Buffer.from([0x02, 0x31, 0x02, 0x32, 0x03]));
    expect(framesOf(out)).toEqual(['\x022\x03']);
  });

  it('includes a trailer after the end byte', () => {
    const framer = delimitedFramer({ start: 0x02, end: 0x03, trailerLength: 1 });
    expect(framesOf(framer.push(Buffer.from([0x02, 0x31, 0x03, 0x7f, 0x02])))).toEqual(['\x021\x03\x7f']);
  });

  it('never throws and is chunking-invariant on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const whole = framesOf(stxEtx().push(Buffer.from(bytes)));
        expect(framesOf(feed(stxEtx(), Buffer.from(bytes), cuts))).toEqual(whole);
      }),
    );
  });
});

describe('fixedLengthFramer', () => {
  it('resynchronises on the sync byte', () => {
    const framer = fixedLengthFramer({ length: 3, sync: 0x3d });
    expect(framesOf(framer.push(Buffer.from('xx=12=34')))).toEqual(['=12', '=34']);
    expect(framesOf(framer.push(Buffer.from('5')))).toEqual([]);
  });

  it('is chunking-invariant', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const make = () => fixedLengthFramer({ length: 4, sync: 0x3d });
        expect(framesOf(feed(make(), Buffer.from(bytes), cuts))).toEqual(
          framesOf(make().push(Buffer.from(bytes))),
        );
      }),
    );
  });
});

describe('interByteTimeoutFramer', () => {
  it('emits what arrived once the line went idle', () => {
    const framer = interByteTimeoutFramer({ idleMs: 5 });
    expect(framer.push(Buffer.from([1, 2]))).toEqual([]);
    expect(framer.push(Buffer.from([3]))).toEqual([]);
    expect(framesOf(framer.flushIdle())).toEqual(['\x01\x02\x03']);
    expect(framer.flushIdle()).toEqual([]);
  });
});
