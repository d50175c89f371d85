/**
 * Coverage for a regulator: per district and kind, the inspection rate and the valid rate as bars
 * against the target line; the trend month by month (each month end measured from the start of the
 * period, so the line climbs towards the target as the year goes); the overdue instruments with a
 * CSV export; filters by period, region and kind, kept in the address so a view can be shared.
 */
import { useMemo, useRef } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { useAuth } from '../auth.js';
import { RateBar } from '../charts/RateBar.js';
import { TrendChart, type TrendSeries } from '../charts/TrendChart.js';
import { Cells, type Column, DataTable, TableHead } from '../components/DataTable.js';
import { Failure, LoadState } from '../components/Feedback.js';
import { ApplyButton, FilterBar, InputField, queryOf, SelectField, useDraft } from '../components/Filters.js';
import { Card, LegendItem } from '../components/Indicators.js';
import { PageSection } from '../components/PageSection.js';
import { monthEnds, percent } from '../format.js';
import { useLoad } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { useRoute } from '../router.js';
import { type CoverageReport, type CoverageRow, KINDS, type OverdueInstrument } from '../types.js';

const ALL = '*';
const OVERDUE_SHOWN = 100;

interface Filters {
  from: string;
  to: string;
  region: string;
  kind: string;
}

function filtersOf(query: URLSearchParams): Filters {
  return {
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
    region: query.get('region') ?? '',
    kind: query.get('kind') ?? '',
  };
}

/**
 * The row over everything shown, as the gateway computed it (exactly, contracts.md §6): the report
 * always carries it among its totals; the page never recomputes a rate.
 */
export function grandTotal(report: CoverageReport): CoverageRow | undefined {
  return report.totals.find((row) => row.region === ALL && row.kind === ALL);
}

/** The overdue answer's list, whatever the key it comes under. */
function overdueList(answer: unknown): OverdueInstrument[] {
  if (Array.isArray(answer)) return answer as OverdueInstrument[];
  if (answer && typeof answer === 'object') {
    for (const key of ['instruments', 'overdue', 'rows', 'items']) {
      const value = (answer as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as OverdueInstrument[];
    }
  }
  return [];
}

async function loadTrend(client: ApiClient, filters: Filters, from: string, to: string, signal: AbortSignal) {
  const ends = monthEnds(from, to, 24);
  const totals: (CoverageRow | undefined)[] = new Array(ends.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < ends.length; index = next++) {
      const report = await client.get<CoverageReport>(
        '/api/coverage',
        { ...queryOf({ ...filters, from, to: ends[index]! }) },
        signal,
      );
      totals[index] = grandTotal(report);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return { ends, totals };
}

export function CoveragePage() {
  const { client } = useAuth();
  const { t, term } = useI18n();
  const route = useRoute();
  const applied = filtersOf(route.query);
  const { draft, setDraft, bind } = useDraft<Filters>(applied);
  const appliedKey = JSON.stringify(applied);
  const regionsSeen = useRef(new Set<string>());

  const report = useLoad(
    async (signal) => {
      const answer = await client.get<CoverageReport>('/api/coverage', queryOf(applied), signal);
      setDraft((current) => ({ ...current, from: current.from || answer.from, to: current.to || answer.to }));
      return answer;
    },
    [client, appliedKey],
  );
  const data = report.data;
  for (const row of data?.rows ?? []) if (row.region !== ALL) regionsSeen.current.add(row.region);
  const regions = [...regionsSeen.current].sort();
  const from = data?.from ?? applied.from;
  const to = data?.to ?? applied.to;

  const overdue = useLoad(
    // Asked once the period is known (the report settles a default one), not twice.
    async (signal) =>
      from && to
        ? overdueList(
            await client.get<unknown>('/api/coverage/overdue', queryOf({ ...applied, from, to }), signal),
          )
        : undefined,
    [client, appliedKey, from, to],
  );
  const trend = useLoad(
    (signal) => (from && to ? loadTrend(client, applied, from, to, signal) : Promise.resolve(undefined)),
    [client, appliedKey, from, to],
  );

  const apply = () => {
    const query = new URLSearchParams(queryOf(draft)).toString();
    location.hash = `#/coverage${query ? `?${query}` : ''}`;
  };
  const preset = (which: 'ytd' | 'lastYear' | 'last12') => {
    const now = new Date();
    const year = now.getFullYear();
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    const today = iso(new Date(Date.UTC(year, now.getMonth(), now.getDate())));
    const period =
      which === 'ytd'
        ? { from: `${year}-01-01`, to: today }
        : which === 'lastYear'
          ? { from: `${year - 1}-01-01`, to: `${year - 1}-12-31` }
          : { from: iso(new Date(Date.UTC(year - 1, now.getMonth(), now.getDate() + 1))), to: today };
    setDraft((current) => ({ ...current, ...period }));
  };

  const total = data ? grandTotal(data) : undefined;
  const rows = (data?.rows ?? []).filter((row) => row.region !== ALL && row.kind !== ALL);
  const byRegion = new Map<string, CoverageRow[]>();
  for (const row of rows) byRegion.set(row.region, [...(byRegion.get(row.region) ?? []), row]);
  const regionTotals = new Map(
    (data?.totals ?? [])
      .filter((row) => row.region !== ALL && row.kind === ALL)
      .map((row) => [row.region, row]),
  );

  const series = useMemo((): TrendSeries[] => {
    const points = trend.data?.totals ?? [];
    const asPercent = (rate: string | null | undefined) =>
      rate === null || rate === undefined ? null : Number(rate) * 100;
    return [
      {
        label: t('coverage.inspectionRate'),
        className: 'inspection',
        values: points.map((p) => asPercent(p?.inspectionRate)),
      },
      {
        label: t('coverage.validRate'),
        className: 'valid',
        values: points.map((p) => asPercent(p?.validRate)),
      },
      { label: t('coverage.target'), className: 'target', values: points.map((p) => asPercent(p?.target)) },
    ];
  }, [trend.data, t]);

  const overdueRows = overdue.data ?? [];
  // The recall list as `metrogate coverage overdue --csv` writes it, all of it (the table shows the first rows).
  const overdueCsv = client.url('/api/coverage/overdue', {
    ...queryOf({ ...applied, from, to }),
    format: 'csv',
  });

  const districtColumns: Column<CoverageRow>[] = [
    {
      head: t('coverage.kind'),
      cell: (row) => (row.kind === ALL ? t('coverage.allKinds') : term('kind', row.kind)),
    },
    { head: t('coverage.inUse'), class: 'num', cell: (row) => row.inUse },
    { head: t('coverage.due'), class: 'num', cell: (row) => row.due },
    { head: t('coverage.inspected'), class: 'num', cell: (row) => row.inspected },
    ...(['inspectionRate', 'validRate'] as const).map(
      (rate): Column<CoverageRow> => ({
        head: t(`coverage.${rate}`),
        class: 'bar-col',
        cellClass: '',
        cell: (row) => (
          <RateBar
            rate={row[rate]}
            target={row.target}
            label={`${row.region} ${term('kind', row.kind)} ${t(`coverage.${rate}`)}`}
          />
        ),
      }),
    ),
    {
      head: t('coverage.overdue'),
      class: 'num',
      cellClass: (row) => (row.overdue > 0 ? 'num bad-text' : 'num'),
      cell: (row) => row.overdue,
    },
  ];
  const trendColumns: Column<string>[] = [
    { head: t('coverage.monthEnd'), rowHeader: true, cell: (end) => end },
    {
      head: t('coverage.inspectionRate'),
      class: 'num',
      cell: (_, index) => percent(trend.data?.totals[index]?.inspectionRate),
    },
    {
      head: t('coverage.validRate'),
      class: 'num',
      cell: (_, index) => percent(trend.data?.totals[index]?.validRate),
    },
    {
      head: t('coverage.overdue'),
      class: 'num',
      cell: (_, index) => trend.data?.totals[index]?.overdue ?? '—',
    },
  ];
  const overdueColumns: Column<OverdueInstrument>[] = [
    { head: t('coverage.instrument'), rowHeader: true, cell: (row) => row.instrument },
    { head: t('coverage.region'), cell: (row) => row.region },
    { head: t('coverage.kind'), cell: (row) => term('kind', row.kind) },
    { head: t('coverage.owner'), cell: (row) => row.owner },
    { head: t('coverage.site'), cell: (row) => row.site },
    { head: t('coverage.dueDate'), cell: (row) => row.dueDate },
    { head: t('coverage.daysOverdue'), class: 'num', cell: (row) => row.daysOverdue },
    { head: t('coverage.lastVerified'), cell: (row) => row.lastVerified ?? t('coverage.never') },
  ];

  return (
    <PageSection title={t('coverage.title')}>
      <FilterBar label={t('coverage.filters')} onApply={apply}>
        <InputField id="cov-from" type="date" label={t('coverage.from')} {...bind('from')} />
        <InputField id="cov-to" type="date" label={t('coverage.to')} {...bind('to')} />
        <SelectField
          id="cov-region"
          label={t('coverage.region')}
          any={t('coverage.allRegions')}
          choices={regions.map((region) => ({ value: region, label: region }))}
          {...bind('region')}
        />
        <SelectField
          id="cov-kind"
          label={t('coverage.kind')}
          any={t('coverage.allKinds')}
          choices={KINDS.map((kind) => ({ value: kind, label: term('kind', kind) }))}
          {...bind('kind')}
        />
        <div class="field presets">
          <span class="label-like">{t('coverage.presets')}</span>
          <div class="button-row">
            <button type="button" onClick={() => preset('ytd')}>
              {t('coverage.ytd')}
            </button>
            <button type="button" onClick={() => preset('last12')}>
              {t('coverage.last12')}
            </button>
            <button type="button" onClick={() => preset('lastYear')}>
              {t('coverage.lastYear')}
            </button>
          </div>
        </div>
        <ApplyButton label={t('coverage.apply')} />
      </FilterBar>

      <LoadState of={report} />

      {data && (
        <>
          <p class="muted" data-testid="coverage-period">
            {t('coverage.period', { from: data.from, to: data.to })}
          </p>
          {total && (
            <section class="summary" aria-label={t('coverage.summary')}>
              <Card value={total.inUse} label={t('coverage.inUse')} />
              <Card value={total.due} label={t('coverage.due')} />
              <Card
                value={percent(total.inspectionRate)}
                label={t('coverage.inspectionRate')}
                tone={total.meetsTarget === false ? 'bad' : total.meetsTarget ? 'good' : undefined}
              />
              <Card value={percent(total.validRate)} label={t('coverage.validRate')} />
              <Card
                value={total.overdue}
                label={t('coverage.overdue')}
                tone={total.overdue > 0 ? 'bad' : undefined}
              />
              <Card value={percent(total.target, 0)} label={t('coverage.target')} />
            </section>
          )}

          <section class="panel" aria-labelledby="by-district">
            <h2 id="by-district">{t('coverage.byDistrict')}</h2>
            <p class="muted legend">
              <LegendItem swatch="good">{t('coverage.meets')}</LegendItem>
              <LegendItem swatch="near">{t('coverage.near')}</LegendItem>
              <LegendItem swatch="bad">{t('coverage.below')}</LegendItem>
              <LegendItem swatch="target">{t('coverage.targetLine')}</LegendItem>
            </p>
            {rows.length === 0 ? (
              <p class="notice">{t('coverage.empty')}</p>
            ) : (
              <div class="table-wrap">
                <table class="coverage">
                  <TableHead columns={[{ head: t('coverage.region') }, ...districtColumns]} />
                  {/* One row group a district: its kinds, then its subtotal when it has several. */}
                  {[...byRegion].map(([region, kinds]) => {
                    const subtotal = kinds.length > 1 ? regionTotals.get(region) : undefined;
                    const all = subtotal ? [...kinds, subtotal] : kinds;
                    return (
                      <tbody key={region} data-region={region}>
                        {all.map((row, index) => (
                          <tr key={`${row.region}|${row.kind}`} class={row.kind === ALL ? 'subtotal' : ''}>
                            {index === 0 && (
                              <th scope="rowgroup" rowSpan={all.length} class="region">
                                {region}
                              </th>
                            )}
                            <Cells columns={districtColumns} row={row} index={index} />
                          </tr>
                        ))}
                      </tbody>
                    );
                  })}
                </table>
              </div>
            )}
          </section>

          <section class="panel" aria-labelledby="trend-title">
            <h2 id="trend-title">{t('coverage.trend')}</h2>
            <p class="muted">{t('coverage.trendNote', { from: data.from })}</p>
            <LoadState of={trend} />
            {trend.data && trend.data.ends.length > 0 && (
              <>
                <TrendChart months={trend.data.ends} series={series} label={t('coverage.trendLabel')} />
                <details>
                  <summary>{t('coverage.trendTable')}</summary>
                  <DataTable columns={trendColumns} rows={trend.data.ends} rowKey={(end) => end} />
                </details>
              </>
            )}
          </section>

          <section class="panel" aria-labelledby="overdue-title">
            <div class="panel-head">
              <h2 id="overdue-title">{t('coverage.overdueTitle', { n: overdueRows.length })}</h2>
              <a
                class="button"
                href={overdueCsv}
                download={`overdue-${from}-${to}.csv`}
                data-testid="overdue-csv"
                aria-disabled={overdueRows.length === 0 ? 'true' : undefined}
              >
                {t('coverage.exportCsv')}
              </a>
            </div>
            <Failure error={overdue.error} />
            {overdueRows.length === 0 && !overdue.loading && !overdue.error && (
              <p class="muted">{t('coverage.noOverdue')}</p>
            )}
            {overdueRows.length > 0 && (
              <>
                {overdueRows.length > OVERDUE_SHOWN && (
                  <p class="muted">
                    {t('coverage.overdueShown', { shown: OVERDUE_SHOWN, n: overdueRows.length })}
                  </p>
                )}
                <DataTable
                  columns={overdueColumns}
                  rows={overdueRows.slice(0, OVERDUE_SHOWN)}
                  rowKey={(row) => row.instrument}
                />
              </>
            )}
          </section>

          {data.standardsDue && data.standardsDue.length > 0 && (
            <section class="panel" aria-labelledby="standards-title">
              <h2 id="standards-title">{t('coverage.standardsDue')}</h2>
              <ul class="plain">
                {data.standardsDue.map((s) => (
                  <li key={s.id}>
                    <span class={s.daysLeft < 0 ? 'bad-text strong' : 'strong'}>{s.id}</span> {s.description}{' '}
                    —{' '}
                    {s.daysLeft < 0
                      ? t('coverage.pastDue', { date: s.dueDate })
                      : t('coverage.dueIn', { date: s.dueDate, n: s.daysLeft })}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </PageSection>
  );
}
