/**
 * Calls to the gateway's HTTP API with the bearer token. A 401 anywhere means the token is no
 * longer good (revoked, expired): the client tells the app, which sends the user back to login.
 * Errors keep the API's own shape (`{ error: { code, message, details } }`) for the page to show.
 */
import type { Role } from './types.js';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export class ApiClient {
  constructor(
    readonly token: string,
    private readonly onUnauthorized: (failure: ApiFailure) => void = () => undefined,
  ) {}

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', `${path}${queryString(query)}`, undefined, signal);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** A URL a link or an EventSource can open without a header (routes that accept ?access_token=). */
  url(path: string, query?: Query): string {
    return `${path}${queryString({ ...query, access_token: this.token })}`;
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiFailure(0, 'MG_ERR_CONNECT_FAILED', (error as Error).message);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (
        parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
      )?.error;
      const failure = new ApiFailure(
        response.status,
        error?.code ?? `HTTP_${response.status}`,
        error?.message ?? `${method} ${path}: HTTP ${response.status}`,
        error?.details ?? {},
      );
      if (response.status === 401) this.onUnauthorized(failure);
      throw failure;
    }
    return parsed as T;
  }
}

export interface Identity {
  role: Role;
  name?: string;
}

/**
 * Who the token belongs to. `GET /api/me` answers directly where the gateway has it; otherwise the
 * role shows in what the token may read: every refusal (403) names the token's role, the devices
 * are for the bench roles only, and the coverage for regulators and admins only.
 */
export async function identify(client: ApiClient): Promise<Identity> {
  try {
    const me = await client.get<{ role: Role; name?: string }>('/api/me');
    if (me && typeof me.role === 'string') return { role: me.role, ...(me.name ? { name: me.name } : {}) };
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 404) throw error;
  }
  const roleOfRefusal = (error: unknown): Role | undefined => {
    if (!(error instanceof ApiFailure) || error.status !== 403) throw error;
    const role = error.details.role;
    return role === 'admin' || role === 'technician' || role === 'regulator' ? role : undefined;
  };
  try {
    await client.get('/api/devices');
  } catch (error) {
    return { role: roleOfRefusal(error) ?? 'regulator' };
  }
  try {
    // The shortest period: the answer's content does not matter, only whether it is given.
    const day = new Date().toISOString().slice(0, 10);
    await client.get('/api/coverage', { from: day, to: day });
    return { role: 'admin' };
  } catch (error) {
    // A gateway without the coverage area (404) shows the bench pages only.
    if (error instanceof ApiFailure && error.status === 404) return { role: 'technician' };
    return { role: roleOfRefusal(error) ?? 'technician' };
  }
}

export function canUseBench(role: Role): boolean {
  return role === 'technician' || role === 'admin';
}

type Translate = (key: 'error.api' | 'error.generic', params: Record<string, string>) => string;

/** A failure as the page shows it: the API's code and message (naming the field at fault). */
export function describeFailure(failure: unknown, t: Translate): string {
  if (failure instanceof ApiFailure) {
    const path = typeof failure.details.path === 'string' ? ` (${failure.details.path})` : '';
    return t('error.api', { code: failure.code, message: failure.message + path });
  }
  return t('error.generic', { message: failure instanceof Error ? failure.message : String(failure) });
}
