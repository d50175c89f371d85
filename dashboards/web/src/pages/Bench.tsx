/**
 * The verification bench: choose a scale and a procedure, then follow the session step by step
 * (BenchSession). The live reading of the chosen scale comes over the SSE stream.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useAuth } from '../auth.js';
import { Failure } from '../components/Feedback.js';
import { LabelledInput, LabelledSelect, plainChoices } from '../components/Fields.js';
import { PageSection } from '../components/PageSection.js';
import { useAction, useLive, useLoad } from '../hooks.js';
import { useI18n } from '../i18n.js';
import {
  ACCURACY_CLASSES,
  type Device,
  type LiveReading,
  SCALE_RULE_SETS,
  type Session,
  STAGES,
  type Standard,
} from '../types.js';
import { BenchSession, LiveValue } from './BenchSession.js';

const ENDED = new Set(['completed', 'failed', 'cancelled']);
const LAST_DEVICE_KEY = 'metrogate.bench.device';

interface BenchForm {
  ruleSet: string;
  stage: string;
  instrumentId: string;
  accuracyClass: string;
  max: string;
  e: string;
  d: string;
  unit: string;
  rounding: boolean;
  standards: string[];
}

/** The entries of the form that a field edits as text. */
type TextEntry = { [K in keyof BenchForm]: BenchForm[K] extends string ? K : never }[keyof BenchForm];

function formKey(device: string): string {
  return `metrogate.bench.form.${device}`;
}

function rememberedForm(device: Device | undefined): BenchForm {
  const unit = device?.readings.find((r) => r.unit)?.unit ?? 'kg';
  const defaults: BenchForm = {
    ruleSet: 'JJG539-2016',
    stage: 'initial',
    instrumentId: device?.instrumentId ?? '',
    accuracyClass: 'III',
    max: '',
    e: '',
    d: '',
    unit,
    rounding: true,
    standards: [],
  };
  if (!device) return defaults;
  try {
    const stored = JSON.parse(
      localStorage.getItem(formKey(device.id)) ?? 'null',
    ) as Partial<BenchForm> | null;
    return { ...defaults, ...stored };
  } catch {
    return defaults;
  }
}

export function primaryReading(readings: readonly LiveReading[]): LiveReading | undefined {
  return (
    readings.find((r) => r.channel === 'weight') ?? readings.find((r) => r.channel === 'net') ?? readings[0]
  );
}

export function BenchPage() {
  const { client } = useAuth();
  const { t, term } = useI18n();
  const devices = useLoad(
    (signal) => client.get<{ devices: Device[] }>('/api/devices', undefined, signal),
    [client],
  );
  const standards = useLoad(
    (signal) => client.get<{ standards: Standard[] }>('/api/standards', { kind: 'weight-set' }, signal),
    [client],
  );
  const sessions = useLoad(
    (signal) => client.get<{ sessions: Session[] }>('/api/sessions', undefined, signal),
    [client],
  );
  const scales = useMemo(
    () => (devices.data?.devices ?? []).filter((d) => d.kind === 'scale'),
    [devices.data],
  );
  const [deviceId, setDeviceId] = useState<string>(() => localStorage.getItem(LAST_DEVICE_KEY) ?? '');
  const device = scales.find((d) => d.id === deviceId);
  const [form, setForm] = useState<BenchForm>(() => rememberedForm(undefined));
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [reading, setReading] = useState<LiveReading | undefined>(undefined);
  const starting = useAction();

  // Once the devices are known, settle on one and load what was last entered for it.
  useEffect(() => {
    if (scales.length === 0) return;
    const chosen = scales.find((d) => d.id === deviceId) ?? scales[0]!;
    if (chosen.id !== deviceId) setDeviceId(chosen.id);
    setForm(rememberedForm(chosen));
    setReading(primaryReading(chosen.readings));
  }, [scales, deviceId]);

  const live = useLive(client, deviceId ? [deviceId] : undefined, {
    reading: (r: LiveReading) => {
      if (r.device !== deviceId) return;
      setReading((current) =>
        current && current.channel !== r.channel && r.channel !== 'weight' ? current : r,
      );
    },
    session: (view: Session) => {
      setSession((current) =>
        current && current.id === view.id && view.updatedAt >= current.updatedAt ? view : current,
      );
    },
  });

  const update = (patch: Partial<BenchForm>) => setForm((current) => ({ ...current, ...patch }));
  const bind = (name: TextEntry) => ({
    value: form[name],
    onValue: (value: string) => update({ [name]: value }),
  });

  const start = async (event: Event) => {
    event.preventDefault();
    if (!device) return;
    await starting.run(async () => {
      localStorage.setItem(formKey(device.id), JSON.stringify(form));
      localStorage.setItem(LAST_DEVICE_KEY, device.id);
      const instrument: Record<string, string> = {
        id: form.instrumentId.trim(),
        accuracyClass: form.accuracyClass,
        max: form.max.trim(),
        e: form.e.trim(),
        unit: form.unit.trim(),
      };
      if (form.d.trim()) instrument.d = form.d.trim();
      const started = await client.post<Session>('/api/sessions', {
        device: device.id,
        ruleSet: form.ruleSet,
        stage: form.stage,
        instrument,
        standards: form.standards,
        rounding: form.rounding,
      });
      setSession(started);
    });
  };

  if (session) {
    return (
      <BenchSession
        session={session}
        reading={reading}
        live={live}
        onSession={(next) =>
          setSession((current) =>
            !current || current.id !== next.id || next.updatedAt >= current.updatedAt ? next : current,
          )
        }
        onClose={() => {
          setSession(undefined);
          sessions.reload();
        }}
      />
    );
  }

  const open = (sessions.data?.sessions ?? []).filter((s) => !ENDED.has(s.state));
  const validStandards = (standards.data?.standards ?? []).filter((s) => s.valid);

  return (
    <PageSection title={t('bench.title')}>
      <Failure error={devices.error} />
      {!devices.loading && !devices.error && scales.length === 0 && (
        <p class="notice">{t('bench.noScales')}</p>
      )}
      {open.length > 0 && (
        <div class="panel">
          <h2>{t('bench.openSessions')}</h2>
          <ul class="plain">
            {open.map((s) => (
              <li key={s.id}>
                <button type="button" onClick={() => setSession(s)}>
                  {t('bench.resume', {
                    id: s.id,
                    device: s.device ?? '—',
                    step: s.step + 1,
                    total: s.totalSteps,
                  })}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {scales.length > 0 && (
        <div class="bench-setup">
          <form
            class="panel form-grid"
            onSubmit={start}
            aria-describedby={starting.error ? 'start-error' : undefined}
          >
            <h2 class="span-all">{t('bench.setup')}</h2>
            <LabelledSelect
              id="device"
              label={t('bench.device')}
              choices={scales.map((d) => ({
                value: d.id,
                label: `${d.id} · ${d.driver} · ${term('state', d.state)}`,
              }))}
              value={deviceId}
              onValue={setDeviceId}
            />
            <LabelledSelect
              id="ruleSet"
              label={t('bench.procedure')}
              choices={SCALE_RULE_SETS.map((id) => ({ value: id, label: `${id} · ${term('ruleSet', id)}` }))}
              {...bind('ruleSet')}
            />
            <LabelledSelect
              id="stage"
              label={t('bench.stage')}
              choices={STAGES.map((stage) => ({ value: stage, label: term('stage', stage) }))}
              {...bind('stage')}
            />
            <LabelledInput
              id="instrumentId"
              label={t('bench.instrumentId')}
              required
              {...bind('instrumentId')}
            />
            <LabelledSelect
              id="accuracyClass"
              label={t('bench.accuracyClass')}
              choices={plainChoices(ACCURACY_CLASSES)}
              {...bind('accuracyClass')}
            />
            <LabelledInput id="max" label={t('bench.max')} required decimal {...bind('max')} />
            <LabelledInput id="e" label={t('bench.e')} required decimal {...bind('e')} />
            <LabelledInput
              id="d"
              label={t('bench.d')}
              decimal
              placeholder={t('bench.dDefault')}
              {...bind('d')}
            />
            <LabelledSelect
              id="unit"
              label={t('bench.unit')}
              choices={plainChoices(['mg', 'g', 'kg', 't'])}
              {...bind('unit')}
            />
            <span class="label-like">{t('bench.options')}</span>
            <label class="check">
              <input
                type="checkbox"
                checked={form.rounding}
                onChange={(e) => update({ rounding: (e.target as HTMLInputElement).checked })}
              />
              {t('bench.rounding')}
            </label>
            {validStandards.length > 0 && (
              <fieldset class="span-all">
                <legend>{t('bench.standards')}</legend>
                {validStandards.map((s) => (
                  <label class="check" key={s.id}>
                    <input
                      type="checkbox"
                      checked={form.standards.includes(s.id)}
                      onChange={(e) =>
                        update({
                          standards: (e.target as HTMLInputElement).checked
                            ? [...form.standards, s.id]
                            : form.standards.filter((id) => id !== s.id),
                        })
                      }
                    />
                    {s.id} — {s.description} ({t('bench.dueOn', { date: s.dueDate })})
                  </label>
                ))}
              </fieldset>
            )}
            <Failure id="start-error" class="span-all" error={starting.error} />
            <div class="span-all actions">
              <button type="submit" class="primary" disabled={starting.busy || !device}>
                {starting.busy ? t('bench.starting') : t('bench.start')}
              </button>
            </div>
          </form>
          <div class="panel">
            <h2>{t('bench.liveReading')}</h2>
            <LiveValue reading={reading} live={live} />
          </div>
        </div>
      )}
    </PageSection>
  );
}
