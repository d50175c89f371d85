/** Small marks the pages share: verdict badges, summary cards, legend entries. */
import type { ComponentChildren } from 'preact';
import { useI18n } from '../i18n.js';

/** "Pass" in green or "Fail" in red. */
export function VerdictBadge({ pass }: { pass: boolean }) {
  const { t } = useI18n();
  return <span class={`badge ${pass ? 'good' : 'bad'}`}>{pass ? t('verdict.pass') : t('verdict.fail')}</span>;
}

interface CardProps {
  value: ComponentChildren;
  label: ComponentChildren;
  /** Colours the figure: good news or bad. */
  tone?: 'good' | 'bad' | undefined;
}

/** One figure of a page's summary row. */
export function Card({ value, label, tone }: CardProps) {
  return (
    <div class="card">
      <span class={tone ? `card-value ${tone}-text` : 'card-value'}>{value}</span>
      <span class="card-label">{label}</span>
    </div>
  );
}

/** A colour swatch and what it stands for. */
export function LegendItem({ swatch, children }: { swatch: string; children: ComponentChildren }) {
  return (
    <span class="legend-item">
      <span class={`swatch ${swatch}`} aria-hidden="true" /> {children}
    </span>
  );
}
