/**
 * The register of instruments (器具登记): filter by region, kind and status, each instrument with
 * its last verification; the register and the history as CSV in the import format.
 */
import { useAuth } from '../auth.js';
import { type Column, DataTable } from '../components/DataTable.js';
import { Failure } from '../components/Feedback.js';
import { plainChoices } from '../components/Fields.js';
import { ApplyButton, FilterBar, InputField, SelectField, useFilters } from '../components/Filters.js';
import { VerdictBadge } from '../components/Indicators.js';
import { PageSection } from '../components/PageSection.js';
import { useLoad } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { hrefOf } from '../router.js';
import { type Instrument, KINDS } from '../types.js';

export function RegistryPage() {
  const { client } = useAuth();
  const { t, term } = useI18n();
  const filters = useFilters({ region: '', kind: '', status: 'in-use', limit: '200' });
  const list = useLoad(
    (signal) =>
      client.get<{ total: number; instruments: Instrument[] }>('/api/registry', filters.query, signal),
    [client, filters.applied],
  );

  const columns: Column<Instrument>[] = [
    { head: t('coverage.instrument'), rowHeader: true, cell: (i) => i.id },
    { head: t('coverage.kind'), cell: (i) => term('kind', i.kind) },
    { head: t('registry.category'), cell: (i) => i.category },
    { head: t('coverage.region'), cell: (i) => i.region },
    { head: t('coverage.owner'), cell: (i) => i.owner },
    { head: t('coverage.site'), cell: (i) => i.site },
    { head: t('registry.status'), cell: (i) => term('status', i.status) },
    { head: t('registry.registered'), cell: (i) => i.registered },
    { head: t('registry.lastVerification'), cell: (i) => <LastVerification instrument={i} /> },
  ];

  return (
    <PageSection title={t('registry.title')}>
      <FilterBar label={t('registry.filters')} onApply={filters.apply}>
        <InputField id="reg-region" label={t('coverage.region')} {...filters.bind('region')} />
        <SelectField
          id="reg-kind"
          label={t('coverage.kind')}
          any={t('coverage.allKinds')}
          choices={KINDS.map((kind) => ({ value: kind, label: term('kind', kind) }))}
          {...filters.bind('kind')}
        />
        <SelectField
          id="reg-status"
          label={t('registry.status')}
          any={t('registry.anyStatus')}
          choices={['in-use', 'scrapped'].map((status) => ({ value: status, label: term('status', status) }))}
          {...filters.bind('status')}
        />
        <SelectField
          id="reg-limit"
          label={t('records.limit')}
          choices={plainChoices(['50', '200', '1000'])}
          {...filters.bind('limit')}
        />
        <ApplyButton label={t('records.searchButton')} />
        <div class="field button-row">
          <a
            class="button"
            href={client.url('/api/registry/export', { what: 'instruments' })}
            download="instruments.csv"
          >
            {t('registry.exportInstruments')}
          </a>
          <a
            class="button"
            href={client.url('/api/registry/export', { what: 'history' })}
            download="history.csv"
          >
            {t('registry.exportHistory')}
          </a>
        </div>
      </FilterBar>
      <Failure error={list.error} />
      {list.data && (
        <div class="panel">
          <p class="muted">
            {t('registry.count', { shown: list.data.instruments.length, total: list.data.total })}
          </p>
          <DataTable columns={columns} rows={list.data.instruments} rowKey={(i) => i.id} tall />
        </div>
      )}
    </PageSection>
  );
}

function LastVerification({ instrument }: { instrument: Instrument }) {
  const { t } = useI18n();
  const last = instrument.lastVerification;
  if (!last) return <>{t('coverage.never')}</>;
  return (
    <>
      {last.date} <VerdictBadge pass={last.verdict === 'pass'} />
      {last.record && (
        <>
          {' '}
          <a href={hrefOf('records', last.record)}>{last.record}</a>
        </>
      )}
    </>
  );
}
