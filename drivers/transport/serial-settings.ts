import { z } from 'zod';

export const PARITIES = ['none', 'even', 'odd', 'mark', 'space'] as const;
export type Parity = (typeof PARITIES)[number];

/** Line settings of an RS-232/RS-485 port. A pty ignores them; real UARTs do not. */
export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
  /**
   * RS-485 direction control by RTS. Optional because adapters with automatic direction control
   * (most USB RS-485 dongles) and pseudo-terminals have no usable RTS line.
   */
  rs485Rts?: boolean;
}

export const serialSettingsSchema = z.object({
  path: z.string().min(1, 'serial port path is required'),
  baudRate: z.number().int().min(50).max(4_000_000).default(9600),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(PARITIES).default('none'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  rs485Rts: z.boolean().optional(),
});

/** "9600 8N1" style, as technicians write line settings. */
export function formatLineSettings(
  s: Pick<SerialSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>,
): string {
  return `${s.baudRate} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

/** Parses "9600 8N1", "2400,7,E,1" or "19200-8-O-1"; returns undefined when it is none of those. */
export function parseLineSettings(
  text: string,
): Pick<SerialSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'> | undefined {
  const compact = text
    .trim()
    .toUpperCase()
    .replace(/[\s,/-]+/g, ' ');
  const match = /^(\d+) ?([78]) ?([NEOMS]) ?([12])$/.exec(compact);
  if (!match) return undefined;
  const parity = ({ N: 'none', E: 'even', O: 'odd', M: 'mark', S: 'space' } as const)[
    match[3] as 'N' | 'E' | 'O' | 'M' | 'S'
  ];
  return {
    baudRate: Number(match[1]),
    dataBits: Number(match[2]) as 7 | 8,
    parity,
    stopBits: Number(match[4]) as 1 | 2,
  };
}

/** Bits on the wire per character: start + data + parity + stop. */
export function bitsPerCharacter(s: Pick<SerialSettings, 'dataBits' | 'parity' | 'stopBits'>): number {
  return 1 + s.dataBits + (s.parity === 'none' ? 0 : 1) + s.stopBits;
}

/** Time in milliseconds that `bytes` characters occupy on the wire. */
export function wireTimeMs(
  bytes: number,
  s: Pick<SerialSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>,
): number {
  return (bytes * bitsPerCharacter(s) * 1000) / s.baudRate;
}
