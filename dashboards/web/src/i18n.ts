/**
 * Every visible string goes through `t(key)`, looked up in the message table of the language in
 * use (messages.ts: one table per language, the Chinese one typed against the English keys so a
 * missing translation fails the typecheck). The choice is remembered in localStorage and set on
 * `<html lang>` so that screen readers and fonts follow it.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { MESSAGES, type MessageKey } from './messages.js';
import type { Localized } from './types.js';

export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];
const LANG_KEY = 'metrogate.lang';

export type Params = Record<string, string | number>;

export function storedLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (stored === 'zh' || stored === 'en') return stored;
  } catch {
    // storage disabled: fall back to the browser's language
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(MESSAGES.en, key);
}

export interface I18n {
  lang: Lang;
  t: (key: MessageKey, params?: Params) => string;
  /** A term of a family (`kind.scale`, `state.online`); the raw value when the table lacks it. */
  term: (family: string, value: string) => string;
  /** The text of a `{ en, zh }` pair the API sent. */
  pick: (text: Localized) => string;
  setLang: (lang: Lang) => void;
}

export function makeI18n(lang: Lang, setLang: (lang: Lang) => void): I18n {
  return {
    lang,
    t: (key, params) => translate(lang, key, params),
    term: (family, value) => {
      const key = `${family}.${value}`;
      return isMessageKey(key) ? translate(lang, key) : value;
    },
    pick: (text) => text[lang] || text.en,
    setLang,
  };
}

export const I18nContext = createContext<I18n>(makeI18n('en', () => undefined));

export function useI18n(): I18n {
  return useContext(I18nContext);
}
