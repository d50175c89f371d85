/** Paste a token (`metrogate token create --role …`); the page finds its role and opens its pages. */
import { useState } from 'preact/hooks';
import { ApiClient, ApiFailure, type Identity, identify } from '../api.js';
import { Failure } from '../components/Feedback.js';
import { useI18n } from '../i18n.js';

interface LoginProps {
  notice?: string | undefined;
  onLogin: (token: string, identity: Identity) => void;
}

export function LoginPage({ notice, onLogin }: LoginProps) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError(t('login.empty'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const identity = await identify(new ApiClient(value));
      onLogin(value, identity);
    } catch (failure) {
      setError(
        failure instanceof ApiFailure && failure.status === 401
          ? t('login.rejected', { reason: failure.message })
          : t('error.generic', { message: (failure as Error).message }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="login" aria-labelledby="login-title">
      <h1 id="login-title" tabIndex={-1}>
        {t('login.title')}
      </h1>
      <p class="muted">{t('login.intro')}</p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} class="stack">
        <label for="token">{t('login.token')}</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="mgt_…"
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
          aria-describedby="token-help"
          aria-invalid={error ? 'true' : undefined}
          // biome-ignore lint/a11y/noAutofocus: the login page has one field; focusing it saves a tab
          autoFocus
        />
        <small id="token-help" class="muted">
          {t('login.help')}
        </small>
        <Failure error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('login.checking') : t('login.submit')}
        </button>
      </form>
    </section>
  );
}
