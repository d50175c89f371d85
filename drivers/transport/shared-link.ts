/**
 * One serial port used by several devices of a multi-drop bus (DART pumps on one RS-485 pair):
 * every device configured on the port gets the same SharedLink. It opens the port for the first
 * user and closes it after the last, and it holds per-port protocol state (`attachment`, e.g. a
 * DART bus with its one request queue) that the drivers of those devices share, so that two
 * drivers never talk over each other on one line.
 *
 * The pool belongs to whoever creates the drivers (the CLI, the gateway), like ModbusBusPool.
 */
import { MetrogateError } from '../errors.js';
import type { ByteLink, LinkState } from './link.js';
import { formatLineSettings, type SerialSettings } from './serial-settings.js';

export class SharedLink implements ByteLink {
  readonly inner: ByteLink;
  private users = 0;
  private opening: Promise<void> | undefined;
  private readonly attachments = new Map<string, unknown>();

  constructor(inner: ByteLink) {
    this.inner = inner;
  }

  get description(): string {
    return this.inner.description;
  }

  get state(): LinkState {
    return this.inner.state;
  }

  /** Devices that opened the link and have not closed it yet. */
  get userCount(): number {
    return this.users;
  }

  /** Each `open` must be balanced by one `close`; the port opens once, for the first. */
  async open(signal?: AbortSignal): Promise<void> {
    // A link that is reconnecting comes back by itself; opening it again would race its reopen.
    if (this.inner.state !== 'open' && this.inner.state !== 'reconnecting') {
      this.opening ??= this.inner.open(signal).finally(() => {
        this.opening = undefined;
      });
      await this.opening;
    }
    this.users++;
  }

  write(data: Uint8Array): Promise<void> {
    return this.inner.write(data);
  }

  async close(): Promise<void> {
    if (this.users === 0) return;
    this.users--;
    if (this.users === 0) await this.inner.close();
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    return this.inner.onData(listener);
  }

  onStateChange(listener: (state: LinkState, error?: MetrogateError) => void): () => void {
    return this.inner.onStateChange(listener);
  }

  /** Per-port state shared by the drivers on this port, created by the first that asks for `key`. */
  attachment<T>(key: string, create: () => T): T {
    if (!this.attachments.has(key)) this.attachments.set(key, create());
    return this.attachments.get(key) as T;
  }
}

/** Has per-port attachments (a SharedLink), as opposed to a link owned by one device. */
export function isSharedLink(link: ByteLink): link is SharedLink {
  return link instanceof SharedLink;
}

export class SharedLinkPool {
  private readonly links = new Map<string, { link: SharedLink; settings: string }>();

  /**
   * The shared link of `settings.path`, created with `create` for the first device of the port.
   * Devices of one port must agree on the line settings: a bus has one baud rate.
   */
  get(settings: SerialSettings, create: () => ByteLink): SharedLink {
    const line = formatLineSettings(settings);
    const existing = this.links.get(settings.path);
    if (existing) {
      if (existing.settings !== line) {
        throw new MetrogateError(
          'MG_ERR_CONFIG_INVALID',
          `port ${settings.path}: one device is configured at ${existing.settings} and another at ${line}; devices on one bus share its line settings`,
          { port: settings.path, settings: line, path: 'baudRate' },
        );
      }
      return existing.link;
    }
    const link = new SharedLink(create());
    this.links.set(settings.path, { link, settings: line });
    return link;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.links.values()].map(({ link }) => link.inner.close().catch(() => undefined)));
    this.links.clear();
  }
}
