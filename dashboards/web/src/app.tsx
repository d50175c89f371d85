/**
 * The shell: language and login state, the header with the pages the token's role may open, and
 * the page of the current route. A 401 from any call sends the user back to the login view.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient, canUseBench, type Identity, identify } from './api.js';
import {
  AuthContext,
  clearAuth,
  homeOf,
  loadAuth,
  pagesFor,
  type StoredAuth,
  saveAuth,
  takeTokenFromAddress,
} from './auth.js';
import { PageSection } from './components/PageSection.js';
import { I18nContext, type Lang, makeI18n, rememberLang, storedLang } from './i18n.js';
import type { MessageKey } from './messages.js';
import { BenchPage } from './pages/Bench.js';
import { CoveragePage } from './pages/Coverage.js';
import { FleetPage } from './pages/Fleet.js';
import { LoginPage } from './pages/Login.js';
import { RecordsPage } from './pages/Records.js';
import { RegistryPage } from './pages/Registry.js';
import { hrefOf, navigate, type Page, parseHash, useRoute } from './router.js';

const PAGE_TITLES: Record<Page, MessageKey> = {
  login: 'nav.login',
  bench: 'nav.bench',
  fleet: 'nav.fleet',
  coverage: 'nav.coverage',
  registry: 'nav.registry',
  records: 'nav.records',
};

export function App() {
  const [lang, setLang] = useState<Lang>(storedLang);
  const changeLang = useCallback((next: Lang) => setLang(next), []);
  const i18n = useMemo(() => makeI18n(lang, changeLang), [lang, changeLang]);
  const { t } = i18n;
  const [auth, setAuth] = useState<StoredAuth | undefined>(loadAuth);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [handedOver, setHandedOver] = useState<string | undefined>(takeTokenFromAddress);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const firstRoute = useRef(true);

  useEffect(() => rememberLang(lang), [lang]);

  const logout = useCallback((reason?: string) => {
    clearAuth();
    setAuth(undefined);
    setNotice(reason);
    navigate('login');
  }, []);
  const client = useMemo(
    () => (auth ? new ApiClient(auth.token, () => logout('expired')) : undefined),
    [auth, logout],
  );

  const login = useCallback((token: string, identity: Identity) => {
    const stored = { token, identity };
    saveAuth(stored);
    setAuth(stored);
    setNotice(undefined);
    // Back to the page asked for before the login, when the role may see it.
    const wanted = parseHash(location.hash).page;
    navigate(
      wanted && wanted !== 'login' && pagesFor(identity.role).includes(wanted)
        ? wanted
        : homeOf(identity.role),
    );
  }, []);

  // A token handed over in the address logs in straight away.
  useEffect(() => {
    if (!handedOver) return;
    setHandedOver(undefined);
    identify(new ApiClient(handedOver)).then(
      (identity) => login(handedOver, identity),
      () => logout('rejected'),
    );
  }, [handedOver, login, logout]);

  // The stored role is shown at once and checked again (a token's role never changes, but it may be revoked).
  useEffect(() => {
    if (!client || !auth) return;
    identify(client).then(
      (identity) => {
        if (identity.role !== auth.identity.role) {
          const stored = { token: auth.token, identity };
          saveAuth(stored);
          setAuth(stored);
        }
      },
      () => undefined,
    );
  }, [client]);

  const allowed = auth ? pagesFor(auth.identity.role) : [];
  const page: Page = !auth
    ? 'login'
    : route.page && route.page !== 'login'
      ? route.page
      : homeOf(auth.identity.role);

  useEffect(() => {
    if (auth && (!route.page || route.page === 'login')) navigate(homeOf(auth.identity.role));
  }, [auth, route.page]);

  useEffect(() => {
    document.title = `${t(PAGE_TITLES[page])} · metrogate`;
    // After a navigation (not the first load) the focus goes to the new page's heading.
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [page, t]);

  const noticeText =
    notice === 'expired'
      ? t('login.expired')
      : notice === 'rejected'
        ? t('login.handoverRejected')
        : undefined;

  let content: preact.JSX.Element;
  if (!auth || !client) content = <LoginPage notice={noticeText} onLogin={login} />;
  else if (!allowed.includes(page)) {
    content = (
      <PageSection title={t(PAGE_TITLES[page])}>
        <p class="notice" role="alert" data-testid="forbidden">
          {t('nav.forbidden', { role: t(`role.${auth.identity.role}`) })}
        </p>
        <p>
          <a href={hrefOf(homeOf(auth.identity.role))}>{t(PAGE_TITLES[homeOf(auth.identity.role)])}</a>
        </p>
      </PageSection>
    );
  } else if (page === 'bench') content = <BenchPage />;
  else if (page === 'fleet') content = <FleetPage />;
  else if (page === 'coverage') content = <CoveragePage />;
  else if (page === 'registry') content = <RegistryPage />;
  else content = <RecordsPage />;

  const tree = (
    <>
      <button
        type="button"
        class="skip-link"
        onClick={(event) => {
          event.preventDefault();
          main.current?.focus();
        }}
      >
        {t('nav.skip')}
      </button>
      <header class="top">
        <a class="brand" href={auth ? hrefOf(homeOf(auth.identity.role)) : hrefOf('login')}>
          metrogate
        </a>
        {auth && (
          <nav aria-label={t('nav.main')}>
            <ul>
              {allowed.map((p) => (
                <li key={p}>
                  <a href={hrefOf(p)} aria-current={p === page ? 'page' : undefined} data-page={p}>
                    {t(PAGE_TITLES[p])}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="top-tools">
          <button
            type="button"
            class="lang-switch"
            onClick={() => changeLang(lang === 'zh' ? 'en' : 'zh')}
            lang={lang === 'zh' ? 'en' : 'zh-CN'}
            aria-label={lang === 'zh' ? 'Switch to English' : '切换到中文'}
          >
            {lang === 'zh' ? 'English' : '中文'}
          </button>
          {auth && (
            <>
              <span class="who" title={auth.identity.name ?? ''}>
                {t(`role.${auth.identity.role}`)}
                {auth.identity.name ? ` · ${auth.identity.name}` : ''}
              </span>
              <button type="button" onClick={() => logout()}>
                {t('nav.logout')}
              </button>
            </>
          )}
        </div>
      </header>
      <main
        id="main"
        ref={main}
        tabIndex={-1}
        data-page={page}
        data-bench={auth ? String(canUseBench(auth.identity.role)) : ''}
      >
        {content}
      </main>
    </>
  );

  return (
    <I18nContext.Provider value={i18n}>
      {client && auth ? (
        <AuthContext.Provider value={{ client, identity: auth.identity, logout }}>
          {tree}
        </AuthContext.Provider>
      ) : (
        tree
      )}
    </I18nContext.Provider>
  );
}
