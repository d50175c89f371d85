/**
 * Each test point's error against its maximum permissible error, drawn as the points are captured:
 * the MPE as a band (±MPE, stepping where the rule's load bands change), each error as a dot, green
 * inside the band, red outside. SVG: a few dozen points need no chart library, and every value is
 * also in the steps table.
 */
import { LegendItem } from '../components/Indicators.js';
import { useI18n } from '../i18n.js';

export interface ErrorPoint {
  load: number;
  error: number;
  mpe: number;
  pass: boolean;
  label: string;
}

interface ErrorChartProps {
  points: readonly ErrorPoint[];
  maxLoad: number;
  unit: string;
}

const W = 640;
const H = 260;
const PAD = { left: 58, right: 14, top: 14, bottom: 34 };

function niceTicks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step / 1e6; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

export function ErrorChart({ points, maxLoad, unit }: ErrorChartProps) {
  const { t } = useI18n();
  const xMax = Math.max(maxLoad, ...points.map((p) => p.load), 1e-9);
  const yExtent = Math.max(...points.map((p) => Math.max(Math.abs(p.error), p.mpe)), 1e-9) * 1.25;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (load: number) => PAD.left + (load / xMax) * plotW;
  const y = (error: number) => PAD.top + plotH / 2 - (error / yExtent) * (plotH / 2);

  // The band: for loads in order, the MPE holds from one point's load to the next.
  const bandPoints = [...points].filter((p) => p.mpe > 0).sort((a, b) => a.load - b.load);
  let upper = '';
  let lower = '';
  bandPoints.forEach((point, index) => {
    const start = index === 0 ? 0 : point.load;
    const end = bandPoints[index + 1]?.load ?? xMax;
    upper += `${index === 0 ? 'M' : 'L'}${x(start).toFixed(1)},${y(point.mpe).toFixed(1)} L${x(end).toFixed(1)},${y(point.mpe).toFixed(1)} `;
    lower += `${index === 0 ? 'M' : 'L'}${x(start).toFixed(1)},${y(-point.mpe).toFixed(1)} L${x(end).toFixed(1)},${y(-point.mpe).toFixed(1)} `;
  });
  const xTicks = niceTicks(xMax, 5);
  const yTicks = niceTicks(yExtent, 2);

  return (
    <figure class="chart error-chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={t('bench.chartLabel', { n: points.length })}
        preserveAspectRatio="xMidYMid meet"
      >
        <rect x={PAD.left} y={PAD.top} width={plotW} height={plotH} class="plot-bg" />
        {yTicks.flatMap((tick) =>
          (tick === 0 ? [0] : [tick, -tick]).map((value) => (
            <g key={`y${value}`}>
              <line
                x1={PAD.left}
                x2={W - PAD.right}
                y1={y(value)}
                y2={y(value)}
                class={value === 0 ? 'axis' : 'grid'}
              />
              <text x={PAD.left - 6} y={y(value) + 4} text-anchor="end" class="tick">
                {Number(value.toPrecision(6))}
              </text>
            </g>
          )),
        )}
        {xTicks.map((tick) => (
          <g key={`x${tick}`}>
            <line x1={x(tick)} x2={x(tick)} y1={PAD.top} y2={H - PAD.bottom} class="grid" />
            <text x={x(tick)} y={H - PAD.bottom + 16} text-anchor="middle" class="tick">
              {tick}
            </text>
          </g>
        ))}
        {upper && <path d={upper} class="mpe-line" />}
        {lower && <path d={lower} class="mpe-line" />}
        {points.map((point) => (
          <circle
            key={point.label}
            cx={x(point.load)}
            cy={y(Math.max(-yExtent, Math.min(yExtent, point.error)))}
            r="5"
            class={point.pass ? 'dot pass' : 'dot fail'}
          >
            <title>{`${point.label}: ${t('bench.error')} ${point.error} ${unit}, MPE ±${point.mpe} ${unit}`}</title>
          </circle>
        ))}
        <text x={PAD.left + plotW / 2} y={H - 4} text-anchor="middle" class="axis-title">
          {t('bench.load')} ({unit})
        </text>
        <text
          x={12}
          y={PAD.top + plotH / 2}
          text-anchor="middle"
          class="axis-title"
          transform={`rotate(-90 12 ${PAD.top + plotH / 2})`}
        >
          {t('bench.error')} ({unit})
        </text>
      </svg>
      <figcaption>
        <LegendItem swatch="mpe">±MPE</LegendItem>
        <LegendItem swatch="pass">{t('verdict.pass')}</LegendItem>
        <LegendItem swatch="fail">{t('verdict.fail')}</LegendItem>
      </figcaption>
    </figure>
  );
}
