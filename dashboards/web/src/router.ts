/**
 * Hash routing (`#/coverage`, `#/records/VR-000042`): the gateway serves one index.html at `/`
 * and needs no fallback route for deep links, and a reload keeps the page.
 */
import { useEffect, useState } from 'preact/hooks';

export const PAGES = ['login', 'bench', 'fleet', 'coverage', 'registry', 'records'] as const;
export type Page = (typeof PAGES)[number];

export interface Route {
  page: Page | undefined;
  /** The segment after the page (`VR-000042`), decoded. */
  param?: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = text.split('?');
  const [first = '', ...rest] = path.split('/');
  const page = (PAGES as readonly string[]).includes(first) ? (first as Page) : undefined;
  const param = rest.length > 0 && rest[0] ? decodeURIComponent(rest.join('/')) : undefined;
  return { page, ...(param !== undefined ? { param } : {}), query: new URLSearchParams(search) };
}

export function hrefOf(page: Page, param?: string): string {
  return `#/${page}${param !== undefined ? `/${encodeURIComponent(param)}` : ''}`;
}

export function navigate(page: Page, param?: string): void {
  const target = hrefOf(page, param);
  if (location.hash !== target) location.hash = target;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
