/**
 * Puts back what a pseudo-terminal throws away: the line settings. A pty delivers every byte
 * whatever baud rate and parity the two ends chose; a real UART at the wrong settings receives
 * garbage. The emulator serialises each character into bits at the sender's settings and samples
 * them at the receiver's, exactly as a UART does (start-bit edge, mid-bit sampling, parity and stop
 * bit checks). So `metrogate scan` and the wrong-baud error paths are tested against the behaviour
 * of a real line, not against a flag.
 *
 * The gateway's settings are read from its end of the pty with `stty -F` (the termios the driver
 * set through node-serialport).
 */
import { execFile } from 'node:child_process';
import type { Parity } from '../drivers/transport/serial-settings.js';

export interface UartSettings {
  baudRate: number;
  dataBits: 7 | 8;
  parity: Parity;
  stopBits: 1 | 2;
}

export function sameUartSettings(a: UartSettings, b: UartSettings): boolean {
  return (
    a.baudRate === b.baudRate &&
    a.dataBits === b.dataBits &&
    a.parity === b.parity &&
    a.stopBits === b.stopBits
  );
}

function parityBit(value: number, dataBits: number, parity: Parity): number {
  let ones = 0;
  for (let i = 0; i < dataBits; i++) ones += (value >> i) & 1;
  switch (parity) {
    case 'even':
      return ones % 2;
    case 'odd':
      return (ones + 1) % 2;
    case 'mark':
      return 1;
    case 'space':
      return 0;
    default:
      return 0;
  }
}

/** Line levels of one character: start bit 0, data LSB first, optional parity, stop bits 1. */
function characterBits(byte: number, s: UartSettings): number[] {
  const bits = [0];
  for (let i = 0; i < s.dataBits; i++) bits.push((byte >> i) & 1);
  if (s.parity !== 'none') bits.push(parityBit(byte & ((1 << s.dataBits) - 1), s.dataBits, s.parity));
  for (let i = 0; i < s.stopBits; i++) bits.push(1);
  return bits;
}

export interface UartReceiveOptions {
  /** What the receiver does with a character whose parity is wrong: keep it or read it as NUL. */
  onParityError: 'keep' | 'nul';
}

/**
 * Transmits `data` back to back at `sender` settings and returns what a UART at `receiver`
 * settings reads. Characters with a framing error are read as NUL (the Linux default).
 */
export function transmit(
  data: Uint8Array,
  sender: UartSettings,
  receiver: UartSettings,
  options: UartReceiveOptions,
): Buffer {
  if (sameUartSettings(sender, receiver)) return Buffer.from(data);
  const levels: number[] = [];
  for (const byte of data) levels.push(...characterBits(byte, sender));
  const senderBit = 1 / sender.baudRate;
  const receiverBit = 1 / receiver.baudRate;
  const lineDuration = levels.length * senderBit;
  const levelAt = (t: number) => (t < 0 || t >= lineDuration ? 1 : levels[Math.floor(t / senderBit)]!);
  const out: number[] = [];
  // Scan for falling edges at the sender's bit resolution (edges only happen on its bit boundaries).
  let searchFrom = 0;
  const receiverBits = 1 + receiver.dataBits + (receiver.parity === 'none' ? 0 : 1) + receiver.stopBits;
  while (searchFrom < levels.length) {
    let edge = -1;
    for (let i = searchFrom; i < levels.length; i++) {
      const previous = i === 0 ? 1 : levels[i - 1]!;
      if (previous === 1 && levels[i] === 0) {
        edge = i;
        break;
      }
    }
    if (edge < 0) break;
    const t0 = edge * senderBit;
    const sample = (k: number) => levelAt(t0 + (k + 0.5) * receiverBit);
    if (sample(0) !== 0) {
      searchFrom = edge + 1;
      continue;
    }
    let value = 0;
    for (let i = 0; i < receiver.dataBits; i++) value |= sample(1 + i) << i;
    let index = 1 + receiver.dataBits;
    let parityOk = true;
    if (receiver.parity !== 'none') {
      parityOk = sample(index) === parityBit(value, receiver.dataBits, receiver.parity);
      index++;
    }
    const stopOk = sample(index) === 1;
    if (!stopOk) out.push(0);
    else if (!parityOk && options.onParityError === 'nul') out.push(0);
    else out.push(value);
    // The receiver looks for the next start bit after the stop bit's sample point.
    const resumeAt = t0 + (receiverBits - 0.5) * receiverBit;
    searchFrom = Math.max(edge + 1, Math.ceil(resumeAt / senderBit - 1e-9));
  }
  return Buffer.from(out);
}

/** Parses `stty -a` output into UART settings. */
export function parseSttyOutput(text: string): UartSettings | undefined {
  const speed = /speed (\d+) baud/.exec(text);
  if (!speed) return undefined;
  const flags = new Set(text.split(/[\s;]+/));
  const dataBits: 7 | 8 = flags.has('cs7') ? 7 : 8;
  let parity: Parity = 'none';
  if (flags.has('parenb')) {
    if (flags.has('cmspar')) parity = flags.has('parodd') ? 'mark' : 'space';
    else parity = flags.has('parodd') ? 'odd' : 'even';
  }
  return { baudRate: Number(speed[1]), dataBits, parity, stopBits: flags.has('cstopb') ? 2 : 1 };
}

/** Reads the line settings the other program set on its end of a pty. */
export function readPeerSettings(path: string): Promise<UartSettings | undefined> {
  return new Promise((resolve) => {
    execFile('stty', ['-F', path, '-a'], { timeout: 2000 }, (error, stdout) => {
      resolve(error ? undefined : parseSttyOutput(stdout));
    });
  });
}

/**
 * Linux ptys force CS8 and clear PARENB whatever the program set (drivers/tty/pty.c,
 * pty_set_termios), so `cs8 -parenb` read back from a pty says nothing about the gateway's data bits
 * and parity: only its baud rate and stop bits are known, and the device's character format is
 * assumed. Without this every 7-bit or parity driver would look like 8N1 and receive garbage.
 */
export function ptyVisibleSettings(peer: UartSettings, device: UartSettings): UartSettings {
  if (peer.dataBits !== 8 || peer.parity !== 'none') return peer;
  return { ...peer, dataBits: device.dataBits, parity: device.parity };
}

/**
 * Keeps the gateway's current settings (re-read when stale) and converts bytes in both directions
 * between the device's settings and the gateway's.
 */
export class LineEmulator {
  private peer: UartSettings | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  constructor(
    readonly device: UartSettings,
    private readonly readSettings: () => Promise<UartSettings | undefined>,
    private readonly maxAgeMs = 40,
  ) {}

  /** Re-reads the gateway's settings if the cached ones are older than `maxAgeMs`. */
  refresh(): Promise<void> {
    if (performance.now() - this.readAt < this.maxAgeMs) return Promise.resolve();
    this.reading ??= this.readSettings().then((settings) => {
      this.peer = settings && ptyVisibleSettings(settings, this.device);
      this.readAt = performance.now();
      this.reading = undefined;
    });
    return this.reading;
  }

  get gatewaySettings(): UartSettings | undefined {
    return this.peer;
  }

  /** What the device's UART reads from bytes the gateway sent. */
  toDevice(bytes: Buffer): Buffer {
    return this.peer ? transmit(bytes, this.peer, this.device, { onParityError: 'nul' }) : bytes;
  }

  /** What the gateway's UART reads from bytes the device sent. */
  toGateway(bytes: Buffer): Buffer {
    return this.peer ? transmit(bytes, this.device, this.peer, { onParityError: 'keep' }) : bytes;
  }
}
