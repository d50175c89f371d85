/** Formatting for display: rates, times. Values from the API stay exact text until shown. */
import type { Lang } from './i18n.js';

/** "0.9333" → "93.3 %"; null (a zero denominator) → "—". */
export function percent(rate: string | number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined || rate === '') return '—';
  const value = Number(rate);
  if (!Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(digits)} %`;
}

export function dateTime(iso: string | undefined, lang: Lang): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function timeOfDay(iso: string | undefined, lang: Lang): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB');
}

/** Today in the browser's time zone, YYYY-MM-DD. */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The last day of each month from `from` to `to` (the last one clamped to `to`), YYYY-MM-DD. */
export function monthEnds(from: string, to: string, limit = 36): string[] {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const ends: string[] = [];
  for (let year = fy, month = fm; ends.length < limit; month++) {
    if (month > 12) {
      month = 1;
      year++;
    }
    const last = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
    if (last >= to) {
      if (to >= from) ends.push(to);
      break;
    }
    ends.push(last);
  }
  return ends;
}

/** A decimal text as a number for charts (never for judging: the gateway judges with exact decimals). */
export function num(text: unknown): number | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
