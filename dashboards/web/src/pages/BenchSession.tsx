/**
 * One verification session on the bench: the live reading large with its stability, the prompt of
 * the current step (place the load → capture; rounding weights → enter ΔL), every step with its
 * captured indication and its error against its MPE, the chart of those errors as they come, the
 * verdict and the certificate. Enter captures a step when the focus is not in a field.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { ErrorChart, type ErrorPoint } from '../charts/ErrorChart.js';
import { CertificateLinks } from '../components/CertificateLinks.js';
import { type Column, DataTable } from '../components/DataTable.js';
import { Failure } from '../components/Feedback.js';
import { VerdictBadge } from '../components/Indicators.js';
import { num, timeOfDay } from '../format.js';
import { type LiveStatus, useAction } from '../hooks.js';
import { useI18n } from '../i18n.js';
import type { LiveReading, Session, SessionStep } from '../types.js';

const ENDED = new Set(['completed', 'failed', 'cancelled']);
const CAPTURING = new Set(['awaiting-load', 'awaiting-extra-load']);

export function LiveValue({ reading, live }: { reading: LiveReading | undefined; live: LiveStatus }) {
  const { t, term, lang } = useI18n();
  const quality = reading?.quality ?? 'none';
  const stable = quality === 'good';
  return (
    <div class={`live-value q-${quality}`} data-quality={quality}>
      <output class="big-number" aria-label={t('bench.liveReading')}>
        {reading ? (reading.value === '' ? '----' : reading.value) : '—'}
        <span class="unit">{reading?.unit ?? ''}</span>
      </output>
      <div class="live-meta">
        <span class={`badge ${stable ? 'good' : quality === 'none' ? 'muted' : 'warn'}`}>
          {reading ? (stable ? t('quality.stable') : term('quality', quality)) : t('bench.noReading')}
        </span>
        <span class="muted">
          {reading ? timeOfDay(reading.ts, lang) : ''} · {term('live', live)}
        </span>
      </div>
    </div>
  );
}

interface BenchSessionProps {
  session: Session;
  reading: LiveReading | undefined;
  live: LiveStatus;
  onSession: (session: Session) => void;
  onClose: () => void;
}

export function BenchSession({ session, reading, live, onSession, onClose }: BenchSessionProps) {
  const { client } = useAuth();
  const { t, term, pick } = useI18n();
  const action = useAction();
  const { busy } = action;
  const [delta, setDelta] = useState('');
  const primary = useRef<HTMLButtonElement | HTMLInputElement | HTMLHeadingElement | null>(null);
  const currentRow = useRef<HTMLTableRowElement | null>(null);
  const prompt = session.prompt;
  const ended = ENDED.has(session.state);
  const unit = session.unit ?? String(session.instrument.unit ?? '');

  const act = (call: () => Promise<Session | { session: Session }>) =>
    action.run(async () => {
      const answer = await call();
      onSession('session' in answer ? answer.session : answer);
    });
  const capture = () => act(() => client.post<Session>(`/api/sessions/${session.id}/capture`));
  const enterDelta = (event: Event) => {
    event.preventDefault();
    const value = delta.trim();
    if (!/^\d*\.?\d+$/.test(value)) {
      action.setError(t('bench.deltaInvalid'));
      return;
    }
    void act(() => client.post<Session>(`/api/sessions/${session.id}/reference`, { value }));
  };
  const complete = () => act(() => client.post<{ session: Session }>(`/api/sessions/${session.id}/complete`));
  const cancel = () => {
    if (window.confirm(t('bench.cancelConfirm')))
      void act(() => client.delete<Session>(`/api/sessions/${session.id}`));
  };

  // Each new prompt: clear ΔL, move the focus to what the technician does next, keep the step in view.
  const promptKey = `${session.state}:${session.step}:${prompt?.action ?? ''}:${prompt?.retry?.message ?? ''}`;
  useEffect(() => {
    setDelta('');
    if (!busy) primary.current?.focus({ preventScroll: false });
    currentRow.current?.scrollIntoView({ block: 'nearest' });
  }, [promptKey, busy]);

  // Enter anywhere outside a field captures the step.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' || event.defaultPrevented || event.repeat) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, select, textarea, button, a, summary, [contenteditable]')) return;
      if (CAPTURING.has(session.state) && !busy) {
        event.preventDefault();
        void capture();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  const points: ErrorPoint[] = [];
  for (const step of session.steps) {
    const error = num(step.result?.error);
    const mpe = num(step.result?.mpe);
    if (error === undefined || mpe === undefined || !step.result) continue;
    points.push({
      load: num(step.load) ?? 0,
      error,
      mpe,
      pass: step.result.pass,
      label: `${step.index + 1}. ${term('stepKind', step.kind)} ${step.load ?? ''} ${unit}`,
    });
  }
  const result = session.result;
  const record = session.record;
  const done = session.steps.filter((s) => s.captured).length;
  const stepColumns: Column<SessionStep>[] = [
    { head: '#', cell: (step) => step.index + 1 },
    { head: t('bench.step'), cell: (step) => pick(step.instruction) },
    {
      head: t('bench.indication'),
      class: 'num',
      cell: (step) => (
        <>
          {step.captured?.indication ?? ''}
          {step.captured?.indicationAfter ? ` → ${step.captured.indicationAfter}` : ''}
        </>
      ),
    },
    ...(session.rounding
      ? [{ head: 'ΔL', class: 'num', cell: (step: SessionStep) => step.captured?.roundingLoad ?? '' }]
      : []),
    {
      head: t('bench.error'),
      class: 'num',
      cell: (step) => (typeof step.result?.error === 'string' ? step.result.error : ''),
    },
    {
      head: 'MPE',
      class: 'num',
      cell: (step) => (typeof step.result?.mpe === 'string' ? `±${step.result.mpe}` : ''),
    },
    { head: t('bench.result'), cell: (step) => step.result && <VerdictBadge pass={step.result.pass} /> },
  ];

  return (
    <section
      aria-labelledby="page-title"
      class="session"
      data-state={session.state}
      data-step={session.step}
      data-retry={prompt?.retry ? prompt.retry.message : undefined}
    >
      <div class="session-head">
        <h1 id="page-title" tabIndex={-1}>
          {t('bench.sessionTitle', {
            instrument: String(session.instrument.id ?? ''),
            ruleSet: session.ruleSet,
          })}
        </h1>
        <p class="muted">
          {session.id} · {session.device} · {term('stage', session.stage)} · {t('bench.operator')}{' '}
          {session.operator} · {t('bench.progress', { done, total: session.totalSteps })}
        </p>
      </div>
      <div class="bench-grid">
        <div class="bench-main">
          <div class="panel">
            <h2 class="visually-hidden">{t('bench.liveReading')}</h2>
            <LiveValue reading={reading} live={live} />
          </div>
          <div class="panel prompt" aria-live="polite" data-action={prompt?.action ?? ''}>
            <h2>{t(`bench.state.${session.state}`)}</h2>
            {prompt && (
              <>
                <p
                  class="instruction"
                  data-load={prompt.load ?? ''}
                  data-position={prompt.position ?? ''}
                  data-extra={prompt.extraLoad ?? ''}
                  data-indication={prompt.indication ?? ''}
                  data-rounding-weight={prompt.roundingWeight ?? ''}
                >
                  <span class="step-no">
                    {t('bench.stepOf', { n: prompt.step + 1, total: session.totalSteps })}
                  </span>{' '}
                  {pick(prompt.instruction)}
                </p>
                {prompt.retry && (
                  <p class="warn-text" role="alert">
                    {t('bench.retry', { message: prompt.retry.message })}
                  </p>
                )}
              </>
            )}
            {prompt && CAPTURING.has(session.state) && (
              <button
                type="button"
                class="primary big"
                ref={(el) => {
                  primary.current = el;
                }}
                onClick={() => void capture()}
                disabled={busy}
                aria-keyshortcuts="Enter"
              >
                {busy
                  ? t('bench.reading')
                  : prompt.action === 'extra-load'
                    ? t('bench.captureExtra')
                    : t('bench.capture')}
              </button>
            )}
            {prompt && session.state === 'awaiting-rounding-load' && (
              <form class="inline-form" onSubmit={enterDelta}>
                <label for="delta">
                  {t('bench.deltaLabel', { unit })}
                  <small class="muted">
                    {t('bench.deltaHint', {
                      weight: prompt.roundingWeight ?? '',
                      indication: prompt.indication ?? '',
                      unit,
                    })}
                  </small>
                </label>
                <input
                  id="delta"
                  inputMode="decimal"
                  autocomplete="off"
                  value={delta}
                  ref={(el) => {
                    primary.current = el;
                  }}
                  onInput={(e) => setDelta((e.target as HTMLInputElement).value)}
                  disabled={busy}
                />
                <button type="submit" class="primary" disabled={busy}>
                  {t('bench.enterDelta')}
                </button>
              </form>
            )}
            {session.state === 'reading' && <p class="muted">{t('bench.readingWait')}</p>}
            {session.state === 'ready' && (
              <button
                type="button"
                class="primary big"
                ref={(el) => {
                  primary.current = el;
                }}
                onClick={() => void complete()}
                disabled={busy}
              >
                {busy ? t('bench.evaluating') : t('bench.complete')}
              </button>
            )}
            {session.state === 'failed' && session.error && (
              <Failure error={t('error.api', { code: session.error.code, message: session.error.message })} />
            )}
            {session.state === 'completed' && result && record && (
              <div class={`verdict ${result.verdict}`} data-verdict={result.verdict}>
                <h3
                  tabIndex={-1}
                  ref={(el) => {
                    primary.current = el;
                  }}
                >
                  {t('bench.verdict')}: <strong>{t(`verdict.${result.verdict}`)}</strong>
                </h3>
                <p>
                  {t('bench.recordStored', { id: record.id })}
                  {record.validUntil ? ` · ${t('bench.validUntil', { date: record.validUntil })}` : ''}
                </p>
                <CertificateLinks
                  record={record.id}
                  pass={result.verdict === 'pass'}
                  selectId="cert-lang"
                  downloadTestId="certificate-download"
                />
              </div>
            )}
            <Failure error={action.error} />
            <div class="actions">
              {!ended && (
                <button type="button" onClick={cancel} disabled={busy}>
                  {t('bench.cancel')}
                </button>
              )}
              {ended && (
                <button
                  type="button"
                  class={session.state === 'completed' ? '' : 'primary'}
                  onClick={onClose}
                >
                  {t('bench.newSession')}
                </button>
              )}
            </div>
          </div>
          <div class="panel">
            <h2>{t('bench.errorsTitle')}</h2>
            {points.length === 0 ? (
              <p class="muted">{t('bench.noPoints')}</p>
            ) : (
              <ErrorChart points={points} maxLoad={num(session.instrument.max) ?? 0} unit={unit} />
            )}
          </div>
        </div>
        <div class="panel bench-steps">
          <h2>{t('bench.steps')}</h2>
          <DataTable
            class="steps"
            columns={stepColumns}
            rows={session.steps}
            rowKey={(step) => step.id}
            rowProps={(step) => {
              const current = !ended && step.index === session.step;
              return {
                class: current ? 'current' : step.captured ? 'captured' : '',
                'aria-current': current ? 'step' : undefined,
                ref: (el: HTMLTableRowElement | null) => {
                  if (current) currentRow.current = el;
                },
              };
            }}
            tall
          />
        </div>
      </div>
    </section>
  );
}
