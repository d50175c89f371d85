import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../errors.js';
import { MemoryLink } from './link.js';
import { isSharedLink, SharedLink, SharedLinkPool } from './shared-link.js';

const settings = { path: '/dev/ttyRS485', baudRate: 9600, dataBits: 8, parity: 'odd', stopBits: 1 } as const;

class CountingLink extends MemoryLink {
  opens = 0;
  closes = 0;
  override async open(): Promise<void> {
    this.opens++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await super.open();
  }
  override async close(): Promise<void> {
    this.closes++;
    await super.close();
  }
}

describe('SharedLink', () => {
  it('opens the port once for concurrent users and closes it after the last one', async () => {
    const inner = new CountingLink('bus');
    const link = new SharedLink(inner);
    await Promise.all([link.open(), link.open(), link.open()]);
    expect(inner.opens).toBe(1);
    expect(link.userCount).toBe(3);
    await link.close();
    await link.close();
    expect(inner.closes).toBe(0);
    expect(link.state).toBe('open');
    await link.close();
    await link.close();
    expect(inner.closes).toBe(1);
    expect(link.state).toBe('closed');
  });

  it('hands every user the same attachment, created once', () => {
    const link = new SharedLink(new MemoryLink('bus'));
    let created = 0;
    const first = link.attachment('queue', () => ({ n: ++created }));
    expect(link.attachment('queue', () => ({ n: ++created }))).toBe(first);
    expect(created).toBe(1);
    expect(isSharedLink(link)).toBe(true);
    expect(isSharedLink(new MemoryLink('own'))).toBe(false);
  });
});

describe('SharedLinkPool', () => {
  it('gives one link per port path and refuses other line settings on the same port', async () => {
    const pool = new SharedLinkPool();
    let created = 0;
    const create = () => {
      created++;
      return new CountingLink('bus');
    };
    const a = pool.get(settings, create);
    expect(pool.get({ ...settings }, create)).toBe(a);
    expect(pool.get({ ...settings, path: '/dev/ttyOther' }, create)).not.toBe(a);
    expect(created).toBe(2);
    try {
      pool.get({ ...settings, baudRate: 19200 }, create);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(isMetrogateError(error, 'MG_ERR_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('9600 8O1 and another at 19200 8O1');
    }
    await a.open();
    await pool.closeAll();
    expect((a.inner as CountingLink).closes).toBe(1);
  });
});
