/**
 * The token the user pasted, kept in localStorage with the role it was found to have, so that a
 * reload shows the page at once; the role is checked again in the background.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient, Identity } from './api.js';
import type { Page } from './router.js';
import type { Role } from './types.js';

const TOKEN_KEY = 'metrogate.token';
const IDENTITY_KEY = 'metrogate.identity';

export interface StoredAuth {
  token: string;
  identity: Identity;
}

export function loadAuth(): StoredAuth | undefined {
  try {
    const token = localStorage.getItem(TOKEN_KEY);
    const identity = JSON.parse(localStorage.getItem(IDENTITY_KEY) ?? 'null') as Identity | null;
    if (token && identity && typeof identity.role === 'string') return { token, identity };
  } catch {
    // unreadable storage: log in again
  }
  return undefined;
}

export function saveAuth(auth: StoredAuth): void {
  try {
    localStorage.setItem(TOKEN_KEY, auth.token);
    localStorage.setItem(IDENTITY_KEY, JSON.stringify(auth.identity));
  } catch {
    // storage disabled: the login lasts for this page only
  }
}

export function clearAuth(): void {
  try {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(IDENTITY_KEY);
  } catch {
    // nothing stored
  }
}

/** A token handed over in the address (`#/coverage?access_token=mgt_…`), removed from it at once. */
export function takeTokenFromAddress(): string | undefined {
  const [path = '', search = ''] = location.hash.split('?');
  const params = new URLSearchParams(search);
  const token = params.get('access_token') ?? undefined;
  if (token === undefined) return undefined;
  params.delete('access_token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${path}${rest ? `?${rest}` : ''}`);
  return token;
}

const PAGES_OF: Record<Role, readonly Page[]> = {
  regulator: ['coverage', 'registry', 'records'],
  technician: ['bench', 'fleet', 'registry', 'records'],
  admin: ['bench', 'fleet', 'coverage', 'registry', 'records'],
};

/** The pages a role may open: the ones whose API areas its token reads (gateway/http/auth.ts). */
export function pagesFor(role: Role): readonly Page[] {
  return PAGES_OF[role] ?? PAGES_OF.regulator;
}

export function homeOf(role: Role): Page {
  return role === 'regulator' ? 'coverage' : 'bench';
}

export interface Auth {
  client: ApiClient;
  identity: Identity;
  logout: () => void;
}

export const AuthContext = createContext<Auth | undefined>(undefined);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside a logged-in page');
  return auth;
}
