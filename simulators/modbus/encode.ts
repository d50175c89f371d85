/**
 * How a simulated device lays numbers into 16-bit registers. Written for the simulators on their
 * own (not shared with the drivers' decoders), so an ordering bug on one side cannot hide one on the
 * other: the golden register dumps in the drivers' testcases keep both honest.
 */

/** Word/byte layouts of multi-register values: ABCD is big-endian (high word first). */
export type WordLayout = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

/** Splits big-endian bytes into registers and rearranges them for the given layout. */
export function registersFromBytes(bigEndian: Uint8Array, layout: WordLayout = 'ABCD'): number[] {
  const words: number[] = [];
  for (let i = 0; i + 1 < bigEndian.length; i += 2) words.push((bigEndian[i]! << 8) | bigEndian[i + 1]!);
  const ordered = layout === 'CDAB' || layout === 'DCBA' ? words.reverse() : words;
  return layout === 'BADC' || layout === 'DCBA'
    ? ordered.map((word) => ((word & 0xff) << 8) | (word >>> 8))
    : ordered;
}

export function int32Registers(value: number, layout: WordLayout = 'ABCD'): number[] {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value | 0);
  return registersFromBytes(bytes, layout);
}

export function uint32Registers(value: number, layout: WordLayout = 'ABCD'): number[] {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return registersFromBytes(bytes, layout);
}

export function float32Registers(value: number, layout: WordLayout = 'ABCD'): number[] {
  const bytes = Buffer.alloc(4);
  bytes.writeFloatBE(value);
  return registersFromBytes(bytes, layout);
}

export function float64Registers(value: number, layout: WordLayout = 'ABCD'): number[] {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return registersFromBytes(bytes, layout);
}

/** Two characters per register, first character in the high byte; padded with NUL. */
export function stringRegisters(text: string, registers: number, byteSwap = false): number[] {
  const bytes = Buffer.alloc(registers * 2);
  bytes.write(text.slice(0, registers * 2), 'latin1');
  return registersFromBytes(bytes, byteSwap ? 'BADC' : 'ABCD');
}

/** A 16-bit two's-complement register. */
export function int16Register(value: number): number {
  return value & 0xffff;
}
