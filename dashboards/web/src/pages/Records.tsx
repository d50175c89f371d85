/**
 * Verification records: search by instrument and verdict, open one in full (its tests, standards,
 * seal), check both hash chains as `metrogate records verify` does, download the certificate.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { CertificateLinks } from '../components/CertificateLinks.js';
import { type Column, DataTable } from '../components/DataTable.js';
import { Failure } from '../components/Feedback.js';
import { plainChoices } from '../components/Fields.js';
import { ApplyButton, FilterBar, InputField, SelectField, useFilters } from '../components/Filters.js';
import { VerdictBadge } from '../components/Indicators.js';
import { PageSection } from '../components/PageSection.js';
import { dateTime } from '../format.js';
import { useAction, useLoad } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { hrefOf, useRoute } from '../router.js';
import type { ChainCheck, RecordSummary, StoredRecord, TestResult } from '../types.js';

export function RecordsPage() {
  const { client } = useAuth();
  const { t, lang } = useI18n();
  const route = useRoute();
  const search = useFilters({ instrument: '', verdict: '', limit: '100' });
  const [chain, setChain] = useState<ChainCheck | undefined>(undefined);
  const checking = useAction();

  const list = useLoad(
    (signal) => client.get<{ total: number; records: RecordSummary[] }>('/api/records', search.query, signal),
    [client, search.applied],
  );

  const checkChain = () =>
    checking.run(async () => setChain(await client.get<ChainCheck>('/api/records/chain')));

  const columns: Column<RecordSummary>[] = [
    {
      head: t('records.id'),
      rowHeader: true,
      cell: (record) => (
        <a href={hrefOf('records', record.id)} aria-current={route.param === record.id ? 'true' : undefined}>
          {record.id}
        </a>
      ),
    },
    { head: t('records.instrument'), cell: (record) => record.instrument.id },
    { head: t('records.ruleSet'), cell: (record) => record.ruleSet },
    { head: t('records.verdict'), cell: (record) => <VerdictBadge pass={record.verdict === 'pass'} /> },
    { head: t('records.performedAt'), cell: (record) => dateTime(record.performedAt, lang) },
  ];

  return (
    <PageSection title={t('records.title')}>
      <FilterBar label={t('records.search')} onApply={search.apply}>
        <InputField id="rec-instrument" label={t('records.instrument')} {...search.bind('instrument')} />
        <SelectField
          id="rec-verdict"
          label={t('records.verdict')}
          any={t('records.anyVerdict')}
          choices={[
            { value: 'pass', label: t('verdict.pass') },
            { value: 'fail', label: t('verdict.fail') },
          ]}
          {...search.bind('verdict')}
        />
        <SelectField
          id="rec-limit"
          label={t('records.limit')}
          choices={plainChoices(['20', '100', '500', '1000'])}
          {...search.bind('limit')}
        />
        <ApplyButton label={t('records.searchButton')} />
        <div class="field">
          <button type="button" onClick={() => void checkChain()} disabled={checking.busy}>
            {checking.busy ? t('records.checking') : t('records.checkChain')}
          </button>
        </div>
      </FilterBar>

      {(chain || checking.error) && (
        <div
          class={`panel chain ${chain?.intact ? 'good' : 'bad'}`}
          role="status"
          data-intact={chain ? String(chain.intact) : ''}
        >
          {checking.error && <p class="error">{checking.error}</p>}
          {chain && (
            <>
              <h2>{chain.intact ? t('records.chainIntact') : t('records.chainBroken')}</h2>
              {[chain.records, chain.audit].map((report) => (
                <p key={report.chain}>
                  <span class="strong">
                    {t(report.chain === 'audit' ? 'records.chainAudit' : 'records.chainRecords')}
                  </span>
                  :{' '}
                  {report.intact
                    ? t('records.chainOk', { n: report.count })
                    : t('records.chainProblem', { message: report.problem?.message ?? '' })}
                  {report.head
                    ? ` · ${t('records.head', { id: report.head.id, hash: report.head.hash.slice(0, 16) })}`
                    : ''}
                </p>
              ))}
            </>
          )}
        </div>
      )}

      <div class="records-grid">
        <div class="panel">
          <Failure error={list.error} />
          {list.data && (
            <>
              <p class="muted">
                {t('records.count', { shown: list.data.records.length, total: list.data.total })}
              </p>
              {list.data.records.length === 0 ? (
                <p class="notice">{t('records.none')}</p>
              ) : (
                <DataTable
                  class="records"
                  columns={columns}
                  rows={list.data.records}
                  rowKey={(record) => record.id}
                  rowProps={(record) => ({ class: route.param === record.id ? 'selected' : '' })}
                  tall
                />
              )}
            </>
          )}
        </div>
        {route.param ? <RecordDetail id={route.param} /> : <p class="panel muted">{t('records.pick')}</p>}
      </div>
    </PageSection>
  );
}

function RecordDetail({ id }: { id: string }) {
  const { client } = useAuth();
  const { t, term, lang } = useI18n();
  const record = useLoad(
    (signal) => client.get<StoredRecord>(`/api/records/${encodeURIComponent(id)}`, undefined, signal),
    [client, id],
  );
  if (record.error) {
    return (
      <div class="panel">
        <Failure error={record.error} />
      </div>
    );
  }
  const r = record.data;
  if (!r) return <p class="panel muted">{t('common.loading')}</p>;
  const instrumentFields = Object.entries(r.instrument).filter(([name]) => name !== 'id' && name !== 'kind');
  const benchInstrument = (r.bench.instrument ?? {}) as Record<string, unknown>;
  const testColumns: Column<TestResult>[] = [
    { head: t('records.test'), cell: (test) => term('stepKind', test.test) },
    { head: t('bench.load'), class: 'num', cell: (test) => (typeof test.load === 'string' ? test.load : '') },
    { head: t('bench.error'), class: 'num', cell: testError },
    { head: 'MPE', class: 'num', cell: testLimit },
    {
      head: t('bench.result'),
      cell: (test) => (
        <>
          <VerdictBadge pass={test.pass} />
          {test.reason ? ` ${test.reason}` : ''}
        </>
      ),
    },
  ];
  return (
    <article class="panel record" aria-labelledby="record-title" data-record={r.id}>
      <h2 id="record-title">
        {r.id} ·{' '}
        <span class={r.result.verdict === 'pass' ? 'good-text' : 'bad-text'}>
          {t(`verdict.${r.result.verdict}`)}
        </span>
      </h2>
      <dl class="facts">
        <dt>{t('records.instrument')}</dt>
        <dd>
          {r.instrument.id} ({term('kind', r.instrument.kind)})
        </dd>
        {instrumentFields.map(([name, value]) => (
          <Fragment key={name}>
            <dt>{term('field', name)}</dt>
            <dd>{String(value)}</dd>
          </Fragment>
        ))}
        {Object.entries(benchInstrument)
          .filter(([name]) => name !== 'kind')
          .map(([name, value]) => (
            <Fragment key={`bench-${name}`}>
              <dt>{term('field', name)}</dt>
              <dd>{String(value)}</dd>
            </Fragment>
          ))}
        <dt>{t('records.ruleSet')}</dt>
        <dd>
          {r.result.ruleSet} · {term('stage', r.result.stage)}
        </dd>
        <dt>{t('records.performedAt')}</dt>
        <dd>{dateTime(r.performedAt, lang)}</dd>
        {r.validUntil && (
          <>
            <dt>{t('records.validUntil')}</dt>
            <dd>{r.validUntil}</dd>
          </>
        )}
        <dt>{t('records.operator')}</dt>
        <dd>{r.operator}</dd>
        <dt>{t('records.standards')}</dt>
        <dd>{r.standards.length > 0 ? r.standards.map((s) => s.id).join(', ') : '—'}</dd>
        <dt>{t('records.software')}</dt>
        <dd>
          {r.software.name} {r.software.version}
        </dd>
        <dt>{t('records.hash')}</dt>
        <dd>
          <code class="hash">{r.hash}</code>
        </dd>
        <dt>{t('records.previousHash')}</dt>
        <dd>
          <code class="hash">{r.previousHash}</code>
        </dd>
      </dl>
      <CertificateLinks record={r.id} pass={r.result.verdict === 'pass'} selectId="rec-cert-lang" />
      <h3>{t('records.tests')}</h3>
      <DataTable columns={testColumns} rows={r.result.tests} rowKey={(_, index) => index} />
    </article>
  );
}

/** A test's error: absolute, relative, or the range it checks. */
function testError(test: TestResult): string {
  if (typeof test.error === 'string') return test.error;
  if (typeof test.errorPercent === 'string') return `${test.errorPercent} %`;
  return typeof test.range === 'string' ? test.range : '';
}

/** What a test's error is held to: the MPE, absolute or relative, or another limit. */
function testLimit(test: TestResult): string {
  if (typeof test.mpe === 'string') return `±${test.mpe}`;
  if (typeof test.mpePercent === 'string') return `±${test.mpePercent} %`;
  return typeof test.limit === 'string' ? test.limit : '';
}
