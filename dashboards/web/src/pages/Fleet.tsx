/**
 * Every device of the running gateway: status, last reading, poll rate, errors, and a sparkline of
 * its recent readings. Live events update the page in place; it redraws at most twice a second
 * however fast the fleet polls, and the counters are fetched again every few seconds.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeFailure } from '../api.js';
import { useAuth } from '../auth.js';
import { Sparkline } from '../charts/Sparkline.js';
import { type Column, DataTable } from '../components/DataTable.js';
import { Failure } from '../components/Feedback.js';
import { InputField } from '../components/Filters.js';
import { Card } from '../components/Indicators.js';
import { PageSection } from '../components/PageSection.js';
import { num, timeOfDay } from '../format.js';
import { useInterval, useLive } from '../hooks.js';
import { useI18n } from '../i18n.js';
import type { Device, DeviceDetail, LiveReading } from '../types.js';
import { primaryReading } from './Bench.js';

const HISTORY = 60;
/** Histories fetched at load (one request each); later devices fill theirs from the live stream. */
const HISTORY_FETCHES = 100;

interface FleetState {
  devices: Map<string, Device>;
  history: Map<string, number[]>;
  channel: Map<string, string>;
}

function pushValue(state: FleetState, reading: LiveReading): void {
  const channel = state.channel.get(reading.device);
  if (channel !== undefined && channel !== reading.channel) return;
  if (channel === undefined) state.channel.set(reading.device, reading.channel);
  const value = num(reading.value);
  if (value === undefined) return;
  const values = state.history.get(reading.device) ?? [];
  values.push(value);
  if (values.length > HISTORY) values.splice(0, values.length - HISTORY);
  state.history.set(reading.device, values);
}

export function FleetPage() {
  const { client } = useAuth();
  const { t, term, lang } = useI18n();
  const state = useRef<FleetState>({ devices: new Map(), history: new Map(), channel: new Map() });
  const dirty = useRef(false);
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loaded, setLoaded] = useState(false);
  const [gateway, setGateway] = useState<string | undefined>(undefined);
  const [filter, setFilter] = useState('');

  const refresh = async (withHistory: boolean) => {
    try {
      const answer = await client.get<{ gateway?: string; devices: Device[] }>('/api/devices');
      setGateway(answer.gateway);
      const devices = state.current.devices;
      const seen = new Set<string>();
      for (const device of answer.devices) {
        seen.add(device.id);
        devices.set(device.id, device);
        const primary = primaryReading(device.readings);
        if (primary && !state.current.channel.has(device.id))
          state.current.channel.set(device.id, primary.channel);
      }
      for (const id of [...devices.keys()]) if (!seen.has(id)) devices.delete(id);
      setError(undefined);
      setLoaded(true);
      dirty.current = true;
      if (withHistory) {
        const queue = answer.devices.slice(0, HISTORY_FETCHES).map((d) => d.id);
        const worker = async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
            const detail = await client.get<DeviceDetail>(`/api/devices/${encodeURIComponent(id)}`);
            const channel = state.current.channel.get(id) ?? Object.keys(detail.history)[0];
            if (channel === undefined) continue;
            state.current.channel.set(id, channel);
            const values = (detail.history[channel] ?? [])
              .map((r) => num(r.value))
              .filter((v) => v !== undefined);
            const live = state.current.history.get(id) ?? [];
            state.current.history.set(id, [...values, ...live].slice(-HISTORY));
            dirty.current = true;
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
      }
    } catch (failure) {
      setError(describeFailure(failure, t));
    }
  };
  useEffect(() => {
    void refresh(true);
  }, [client]);
  useInterval(() => void refresh(false), 5000);
  useInterval(() => {
    if (!dirty.current) return;
    dirty.current = false;
    setVersion((v) => v + 1);
  }, 500);

  const live = useLive(client, undefined, {
    reading: (reading: LiveReading) => {
      const device = state.current.devices.get(reading.device);
      if (device) {
        device.readings = [...device.readings.filter((r) => r.channel !== reading.channel), reading];
        device.lastPollAt = reading.ts;
      }
      pushValue(state.current, reading);
      dirty.current = true;
    },
    'device-state': (event: { device: string; state: Device['state']; error?: Device['lastError'] }) => {
      const device = state.current.devices.get(event.device);
      if (!device) return;
      device.state = event.state;
      if (event.error) device.lastError = event.error;
      dirty.current = true;
    },
    'poll-error': (event: { device: string; error: { code: string; message: string } }) => {
      const device = state.current.devices.get(event.device);
      if (!device) return;
      device.pollErrors += 1;
      device.lastError = event.error;
      dirty.current = true;
    },
  });

  const all = [...state.current.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? all.filter((d) =>
        [d.id, d.driver, d.kind, d.region ?? '', d.state].some((f) => f.toLowerCase().includes(needle)),
      )
    : all;
  const online = all.filter((d) => d.state === 'online').length;

  const readingOf = (device: Device) =>
    device.readings.find((r) => r.channel === state.current.channel.get(device.id)) ??
    primaryReading(device.readings);
  const columns: Column<Device>[] = [
    {
      head: t('fleet.device'),
      rowHeader: true,
      cell: (device) => (
        <>
          <span class="strong">{device.id}</span>
          <br />
          <small class="muted">
            {device.driver} · {term('kind', device.kind)}
            {device.region ? ` · ${device.region}` : ''}
          </small>
        </>
      ),
    },
    {
      head: t('fleet.status'),
      cell: (device) => (
        <span
          class={`badge ${device.state === 'online' ? 'good' : device.state === 'demoted' ? 'warn' : 'bad'}`}
        >
          {term('state', device.state)}
        </span>
      ),
    },
    {
      head: t('fleet.lastReading'),
      class: 'num',
      cell: (device) => {
        const reading = readingOf(device);
        if (!reading) return '—';
        return (
          <>
            <span class="strong">
              {reading.value || '----'} {reading.unit}
            </span>
            <br />
            <small class={reading.quality === 'good' ? 'muted' : 'warn-text'}>
              {term('quality', reading.quality)} · {timeOfDay(reading.ts, lang)}
            </small>
          </>
        );
      },
    },
    {
      head: t('fleet.trend'),
      cellClass: 'spark-cell',
      cell: (device) => {
        const values = state.current.history.get(device.id) ?? [];
        return (
          <Sparkline values={values} label={t('fleet.sparkLabel', { device: device.id, n: values.length })} />
        );
      },
    },
    {
      head: t('fleet.pollRate'),
      class: 'num',
      cell: (device) => (
        <>
          {device.pollRateHz} Hz
          <br />
          <small class="muted">{device.pollIntervalMs} ms</small>
        </>
      ),
    },
    { head: t('fleet.polls'), class: 'num', cell: (device) => device.polls },
    {
      head: t('fleet.errors'),
      class: 'num',
      cell: (device) => (
        <>
          <span class={device.pollErrors > 0 ? 'bad-text' : ''}>{device.pollErrors}</span>
          {device.consecutiveFailures > 0 && (
            <>
              <br />
              <small class="warn-text">{t('fleet.inARow', { n: device.consecutiveFailures })}</small>
            </>
          )}
        </>
      ),
    },
    {
      head: t('fleet.lastError'),
      cellClass: 'wrap',
      cell: (device) =>
        device.lastError ? (
          <>
            <code>{device.lastError.code}</code> {device.lastError.message}
          </>
        ) : (
          '—'
        ),
    },
  ];

  return (
    <PageSection title={t('fleet.title')}>
      <section class="summary" aria-label={t('fleet.summary')}>
        <Card value={all.length} label={t('fleet.devices')} />
        <Card value={online} label={term('state', 'online')} tone="good" />
        <Card
          value={all.length - online}
          label={t('fleet.notOnline')}
          tone={all.length - online > 0 ? 'bad' : undefined}
        />
        <Card
          value={term('live', live)}
          label={gateway ? t('fleet.gateway', { id: gateway }) : t('fleet.liveStream')}
        />
      </section>
      <InputField
        id="fleet-filter"
        class="toolbar"
        label={t('fleet.filter')}
        value={filter}
        onValue={setFilter}
      />
      <Failure error={error} />
      {loaded && all.length === 0 && <p class="notice">{t('fleet.none')}</p>}
      {shown.length > 0 && (
        <DataTable
          class="fleet"
          caption={t('fleet.title')}
          columns={columns}
          rows={shown}
          rowKey={(device) => device.id}
          rowProps={(device) => ({ 'data-device': device.id })}
        />
      )}
    </PageSection>
  );
}
