/** How a page says that something failed or is still on its way. */
import { describeFailure } from '../api.js';
import { useI18n } from '../i18n.js';

interface FailureProps {
  /** A message already worded, or a failure (an API error, an exception) to describe. */
  error: unknown;
  id?: string;
  class?: string;
}

/** An alert for a failure; nothing when there is none. */
export function Failure({ error, id, class: extra }: FailureProps) {
  const { t } = useI18n();
  if (error === undefined || error === null || error === '') return null;
  return (
    <p id={id} class={extra ? `error ${extra}` : 'error'} role="alert">
      {typeof error === 'string' ? error : describeFailure(error, t)}
    </p>
  );
}

/** The failure of a load, and "Loading…" until its first answer. */
export function LoadState({ of }: { of: { error: Error | undefined; loading: boolean; data: unknown } }) {
  const { t } = useI18n();
  return (
    <>
      <Failure error={of.error} />
      {of.loading && !of.data && <p class="muted">{t('common.loading')}</p>}
    </>
  );
}
