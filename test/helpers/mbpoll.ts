/**
 * mbpoll (Debian 1.4.11, epsilonrt/mbpoll) as an independent Modbus master: one read, parsed.
 * Always run with `-0` (PDU addressing; mbpoll counts from 1 by default) and `-1` (poll once).
 * Its RTU default is 19200 8E1, the Modbus default; the line is always given explicitly here.
 */
import { execFile } from 'node:child_process';

export type MbpollType = '0' | '1' | '3' | '4' | '3:int' | '4:int' | '3:float' | '4:float';

export interface MbpollRead {
  type: MbpollType;
  /** PDU address of the first value. */
  reference: number;
  count?: number;
  unitId?: number;
  /** `-B`: high word first for :int and :float (ABCD). */
  bigEndian?: boolean;
  timeoutS?: number;
}

export type MbpollTarget =
  | { mode: 'tcp'; host: string; port: number }
  | {
      mode: 'rtu';
      path: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      dataBits?: 7 | 8;
      stopBits?: 1 | 2;
    };

export interface MbpollValue {
  /** As mbpoll prints it: unsigned for 16-bit registers, signed for :int, %g for :float. */
  value: string;
  /** 16-bit registers above 32767: mbpoll's signed reading in parentheses. */
  signed?: string;
}

/** Rejects with the apt package to install when mbpoll is missing. */
export function requireMbpoll(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('mbpoll', ['-V'], { timeout: 5000 }, (error) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            'mbpoll is needed as the independent Modbus master; install it with: apt-get install mbpoll',
          ),
        );
      } else resolve();
    });
  });
}

export function mbpollArgs(target: MbpollTarget, read: MbpollRead): string[] {
  const args =
    target.mode === 'tcp'
      ? ['-m', 'tcp', '-p', String(target.port)]
      : [
          '-m',
          'rtu',
          '-b',
          String(target.baudRate),
          '-P',
          target.parity,
          '-d',
          String(target.dataBits ?? 8),
          '-s',
          String(target.stopBits ?? 1),
        ];
  args.push(
    '-a',
    String(read.unitId ?? 1),
    '-0',
    '-r',
    String(read.reference),
    '-c',
    String(read.count ?? 1),
  );
  args.push('-t', read.type, '-o', String(read.timeoutS ?? 1), '-1');
  if (read.bigEndian) args.push('-B');
  args.push(target.mode === 'tcp' ? target.host : target.path);
  return args;
}

/** Parses `[ref]: <tab>value (signed)` lines into values by PDU reference. */
export function parseMbpollOutput(stdout: string): Map<number, MbpollValue> {
  const values = new Map<number, MbpollValue>();
  for (const line of stdout.split('\n')) {
    const match = /^\[(\d+)\]:\s+(\S+)(?:\s+\((-?\d+)\))?/.exec(line.trim());
    if (!match) continue;
    values.set(Number(match[1]), {
      value: match[2]!,
      ...(match[3] !== undefined ? { signed: match[3] } : {}),
    });
  }
  return values;
}

/** Runs one mbpoll read; rejects with its output when it fails or prints no value. */
export async function mbpoll(target: MbpollTarget, read: MbpollRead): Promise<Map<number, MbpollValue>> {
  await requireMbpoll();
  const args = mbpollArgs(target, read);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('mbpoll', args, { timeout: 15_000 }, (error, out, err) => {
      if (error) reject(new Error(`mbpoll ${args.join(' ')} failed: ${(out + err).trim().slice(-600)}`));
      else resolve(out);
    });
  });
  const values = parseMbpollOutput(stdout);
  if (values.size === 0) throw new Error(`mbpoll ${args.join(' ')} printed no value: ${stdout.slice(-600)}`);
  return values;
}
