import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSttyOutput, transmit, type UartSettings } from './line-emulation.js';

const s8N1: UartSettings = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
const s7E1: UartSettings = { baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1 };
const s7O1: UartSettings = { baudRate: 9600, dataBits: 7, parity: 'odd', stopBits: 1 };
const s8E1: UartSettings = { baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 };

describe('UART line emulation', () => {
  it('passes bytes unchanged when both ends agree', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect([...transmit(bytes, s8E1, s8E1, { onParityError: 'nul' })]).toEqual([...bytes]);
      }),
    );
  });

  it('decodes back to back characters at equal settings through the bit model', () => {
    // Same settings except an irrelevant difference in stop bits on the receiver side still decodes.
    const sender = { ...s8N1, stopBits: 2 as const };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect([...transmit(bytes, sender, s8N1, { onParityError: 'nul' })]).toEqual([...bytes]);
      }),
    );
  });

  it('shows 7E1 characters to an 8N1 receiver with the parity bit as bit 7', () => {
    // 'S' = 0x53 has four ones: even parity bit 0. 'C' = 0x43 has three ones: parity bit 1.
    expect([...transmit(Buffer.from('SC'), s7E1, s8N1, { onParityError: 'keep' })]).toEqual([0x53, 0xc3]);
  });

  it('reads characters with a wrong parity as NUL when the receiver checks parity', () => {
    // An 8N1 sender's 'C' (0x43) seen by a 7O1 receiver: data 0x43, bit 7 (0) taken as parity; odd parity wants 0.
    expect([...transmit(Buffer.from('C'), s8N1, s7O1, { onParityError: 'nul' })]).toEqual([0x43]);
    expect([...transmit(Buffer.from('S'), s8N1, s7O1, { onParityError: 'nul' })]).toEqual([0x00]);
  });

  it('turns a baud-rate mismatch into garbage', () => {
    const text = Buffer.from('S S      12.35 kg\r\n');
    const received = transmit(text, s8N1, { ...s8N1, baudRate: 19200 }, { onParityError: 'keep' });
    expect(received.toString('latin1')).not.toContain('12.35');
    const slower = transmit(text, s8N1, { ...s8N1, baudRate: 2400 }, { onParityError: 'keep' });
    expect(slower.toString('latin1')).not.toContain('12.35');
  });

  it('never throws on random settings and bytes', () => {
    const settings = fc.record({
      baudRate: fc.constantFrom(1200, 2400, 9600, 19200, 115200),
      dataBits: fc.constantFrom(7 as const, 8 as const),
      parity: fc.constantFrom(
        'none' as const,
        'even' as const,
        'odd' as const,
        'mark' as const,
        'space' as const,
      ),
      stopBits: fc.constantFrom(1 as const, 2 as const),
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), settings, settings, (bytes, a, b) => {
        const out = transmit(bytes, a, b, { onParityError: 'nul' });
        expect(out.length).toBeLessThanOrEqual(bytes.length * 12);
      }),
    );
  });

  it('parses stty -a output', () => {
    const text =
      'speed 19200 baud; rows 0; columns 0; line = 0;\n-parenb -parodd -cmspar cs8 hupcl -cstopb cread clocal -crtscts';
    expect(parseSttyOutput(text)).toEqual({ baudRate: 19200, dataBits: 8, parity: 'none', stopBits: 1 });
    const odd = 'speed 1200 baud;\nparenb parodd -cmspar cs7 -hupcl cstopb cread';
    expect(parseSttyOutput(odd)).toEqual({ baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 2 });
  });
});
