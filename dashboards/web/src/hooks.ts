/** Small hooks the pages share: loading data, and the gateway's live event stream. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiClient, describeFailure } from './api.js';
import { useI18n } from './i18n.js';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (aborting the previous run) and on `reload()`. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  return { data, error, loading, reload: () => setGeneration((n) => n + 1) };
}

export interface Action {
  /** The action is under way (its buttons are disabled). */
  busy: boolean;
  /** What went wrong the last time, worded for the user. */
  error: string | undefined;
  setError: (error: string | undefined) => void;
  /** Runs `work` unless it is already running; a failure becomes `error`. */
  run: (work: () => Promise<void>) => Promise<void>;
}

/** A call the user starts with a button: busy while it runs, its failure kept to show. */
export function useAction(): Action {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (work: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(describeFailure(failure, t));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export type LiveHandlers = Partial<
  Record<'snapshot' | 'reading' | 'device-state' | 'poll-error' | 'session', (data: never) => void>
>;

export type LiveStatus = 'connecting' | 'open' | 'closed';

/**
 * The SSE stream `GET /api/live` (EventSource cannot send a header: the token goes in the query).
 * The browser reconnects by itself after a dropped connection; after a refusal (the stream was
 * answered with an error) it gives up, so this opens a new one a few seconds later.
 */
export function useLive(
  client: ApiClient | undefined,
  devices: readonly string[] | undefined,
  handlers: LiveHandlers,
): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const current = useRef(handlers);
  current.current = handlers;
  const key = devices?.join('\n');
  useEffect(() => {
    if (!client) return;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = () => {
      const query: Record<string, string> = {};
      const url = new URL(client.url('/api/live', query), location.href);
      for (const device of devices ?? []) url.searchParams.append('device', device);
      source = new EventSource(url.pathname + url.search);
      setStatus('connecting');
      source.onopen = () => setStatus('open');
      source.onerror = () => {
        if (!source || source.readyState !== EventSource.CLOSED) {
          setStatus('connecting');
          return;
        }
        setStatus('closed');
        if (!stopped) retry = setTimeout(open, 5000);
      };
      for (const name of ['snapshot', 'reading', 'device-state', 'poll-error', 'session'] as const) {
        source.addEventListener(name, (event) => {
          const handler = current.current[name];
          if (!handler) return;
          try {
            handler(JSON.parse((event as MessageEvent<string>).data) as never);
          } catch {
            // a malformed event is skipped; the next one carries the state again
          }
        });
      }
    };
    open();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      source?.close();
    };
  }, [client, key]);
  return status;
}

/** Calls `tick` every `ms` while mounted. */
export function useInterval(tick: () => void, ms: number): void {
  const current = useRef(tick);
  current.current = tick;
  useEffect(() => {
    const timer = setInterval(() => current.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}
