import { afterEach, describe, expect, it } from 'vitest';
import { isMetrogateError } from '../errors.js';
import { FrameChannel } from './frame-channel.js';
import { lineFramer } from './framers.js';
import { createMemoryLinkPair, type MemoryLink } from './link.js';

function echoDevice(device: MemoryLink, answer: (line: string) => string | undefined): void {
  let buffer = '';
  device.onData((chunk) => {
    buffer += chunk.toString('latin1');
    let index = buffer.indexOf('\r\n');
    while (index >= 0) {
      const reply = answer(buffer.slice(0, index));
      buffer = buffer.slice(index + 2);
      if (reply !== undefined) void device.write(Buffer.from(reply, 'latin1'));
      index = buffer.indexOf('\r\n');
    }
  });
}

describe('FrameChannel', () => {
  let channel: FrameChannel | undefined;
  afterEach(async () => {
    await channel?.close();
  });

  it('answers a request with the next frame', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    echoDevice(device, (line) => (line === 'SI' ? 'S S     100.00 g\r\n' : 'ES\r\n'));
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const reply = await channel.request('SI\r\n', { timeoutMs: 200 });
    expect(reply.bytes.toString()).toBe('S S     100.00 g');
  });

  it('serialises concurrent requests so replies are not crossed', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    echoDevice(device, (line) => `R ${line}\r\n`);
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const replies = await Promise.all(
      ['A', 'B', 'C', 'D'].map((c) => channel!.request(`${c}\r\n`, { timeoutMs: 200 })),
    );
    expect(replies.map((r) => r.bytes.toString())).toEqual(['R A', 'R B', 'R C', 'R D']);
  });

  it('reports silence as MG_ERR_TIMEOUT naming the port', async () => {
    const [gateway, device] = createMemoryLinkPair('ttyTEST');
    await device.open();
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const error = await channel.request('SI\r\n', { timeoutMs: 30 }).catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_TIMEOUT')).toBe(true);
    expect(error.message).toContain('ttyTEST');
  });

  it('reports bytes that never form a frame as MG_ERR_FRAME_GARBLED', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    device.onData(() => void device.write(Buffer.from([0xff, 0xfe, 0x00, 0x13])));
    channel = new FrameChannel(gateway, lineFramer({ idleFlushMs: 5 }));
    await channel.open();
    const error = await channel.request('SI\r\n', { timeoutMs: 60 }).catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_FRAME_GARBLED')).toBe(true);
    expect(error.message).toContain('ff fe 00 13');
  });

  it('skips frames the caller does not accept and counts them as garbled', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    echoDevice(device, () => 'noise\r\n');
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const error = await channel
      .request('SI\r\n', {
        timeoutMs: 40,
        accept: (frame) => {
          if (frame.toString().startsWith('S ')) return true;
          channel!.noteRejected(frame);
          return false;
        },
      })
      .catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_FRAME_GARBLED')).toBe(true);
  });

  it('delivers unsolicited frames to stream listeners and as latest', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const seen: string[] = [];
    channel.onFrame((frame) => seen.push(frame.bytes.toString()));
    await device.write(Buffer.from('ST,+00001.00  g\r\nST,+00002.00  g\r\n'));
    const next = await channel.nextFrame({ timeoutMs: 100 });
    expect(next.bytes.toString()).toBe('ST,+00001.00  g');
    expect(seen).toEqual(['ST,+00001.00  g', 'ST,+00002.00  g']);
    expect(channel.latest?.bytes.toString()).toBe('ST,+00002.00  g');
  });

  it('rejects an aborted request with MG_ERR_ABORTED', async () => {
    const [gateway, device] = createMemoryLinkPair();
    await device.open();
    channel = new FrameChannel(gateway, lineFramer());
    await channel.open();
    const controller = new AbortController();
    const pending = channel.request('SI\r\n', { timeoutMs: 1000, signal: controller.signal });
    controller.abort();
    const error = await pending.catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_ABORTED')).toBe(true);
  });
});
