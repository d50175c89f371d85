/**
 * A ByteLink is a bidirectional byte stream to one device or one multi-drop bus: a serial port, a
 * TCP socket to a serial server, or one end of an in-memory pair. It knows nothing of frames.
 */
import { MetrogateError } from '../errors.js';

export type LinkState = 'closed' | 'opening' | 'open' | 'reconnecting';

export interface ByteLink {
  /** Names the port and its settings in every error message ("/dev/ttyUSB0 9600 8N1"). */
  readonly description: string;
  readonly state: LinkState;
  open(signal?: AbortSignal): Promise<void>;
  /** Resolves once the bytes are handed to the OS (drained for serial ports). */
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Subscribes to incoming bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void;
  /** Subscribes to state changes (a disconnect shows as `reconnecting` or `closed` with an error). */
  onStateChange(listener: (state: LinkState, error?: MetrogateError) => void): () => void;
}

/** Small typed listener set, so that links need no EventEmitter and no module state. */
export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => void>();

  add(listener: (...args: Args) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(...args: Args): void {
    for (const listener of [...this.set]) listener(...args);
  }

  get size(): number {
    return this.set.size;
  }
}

/**
 * One end of an in-memory link pair. Bytes written on one end arrive on the other end's listeners
 * asynchronously (on a microtask), as they would from a real port.
 */
export class MemoryLink implements ByteLink {
  readonly description: string;
  private currentState: LinkState = 'closed';
  private readonly dataListeners = new Listeners<[Buffer]>();
  private readonly stateListeners = new Listeners<[LinkState, MetrogateError | undefined]>();
  peer: MemoryLink | undefined;
  /** Every chunk written by this end, for tests that assert on the bytes a driver sent. */
  readonly written: Buffer[] = [];
  /** Bytes delivered while no listener was attached are kept, as a UART FIFO keeps them. */
  private readonly pending: Buffer[] = [];
  /** When false, `open` fails as a missing port would. */
  available = true;

  constructor(description: string) {
    this.description = description;
  }

  get state(): LinkState {
    return this.currentState;
  }

  async open(): Promise<void> {
    if (!this.available) {
      throw new MetrogateError('MG_ERR_PORT_NOT_FOUND', `port ${this.description}: does not exist`, {
        port: this.description,
      });
    }
    this.setState('open');
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.currentState !== 'open') {
      throw new MetrogateError('MG_ERR_PORT_CLOSED', `port ${this.description}: write on a closed port`, {
        port: this.description,
      });
    }
    const chunk = Buffer.from(data);
    this.written.push(chunk);
    const peer = this.peer;
    if (peer) queueMicrotask(() => peer.deliver(chunk));
  }

  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.setState('closed');
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    const off = this.dataListeners.add(listener);
    if (this.pending.length > 0) {
      const queued = this.pending.splice(0);
      queueMicrotask(() => {
        for (const chunk of queued) this.dataListeners.emit(chunk);
      });
    }
    return off;
  }

  onStateChange(listener: (state: LinkState, error?: MetrogateError) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** Simulates the far end vanishing (a cable pulled): this end reports a disconnect. */
  simulateDisconnect(): void {
    const error = new MetrogateError('MG_ERR_PORT_DISCONNECTED', `port ${this.description}: disconnected`, {
      port: this.description,
    });
    this.setState('closed', error);
  }

  private deliver(chunk: Buffer): void {
    if (this.currentState !== 'open') return;
    if (this.dataListeners.size === 0) this.pending.push(chunk);
    else this.dataListeners.emit(chunk);
  }

  private setState(state: LinkState, error?: MetrogateError): void {
    this.currentState = state;
    this.stateListeners.emit(state, error);
  }
}

/** Two cross-connected in-memory links: what one writes, the other reads. */
export function createMemoryLinkPair(name = 'memory'): [MemoryLink, MemoryLink] {
  const a = new MemoryLink(`${name}:a`);
  const b = new MemoryLink(`${name}:b`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
