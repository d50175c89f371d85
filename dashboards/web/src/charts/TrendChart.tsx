/**
 * The monthly trend of the inspection rate and the valid rate against the target, with uPlot
 * (small, fast, a cursor that reads out each month). The same figures are in the table below it.
 */
import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
// The stylesheet is small and goes into the app's; the library itself (50 kB) is fetched only
// when a chart is first drawn, so that the other pages do not wait for it.
import 'uplot/dist/uPlot.min.css';

export interface TrendSeries {
  label: string;
  values: (number | null)[];
  className: 'inspection' | 'valid' | 'target';
}

interface TrendChartProps {
  /** Month ends as YYYY-MM-DD. */
  months: readonly string[];
  series: readonly TrendSeries[];
  label: string;
}

const COLORS: Record<TrendSeries['className'], string> = {
  inspection: '#1f6feb',
  valid: '#1a7f37',
  target: '#9a6700',
};

function seconds(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 1000;
}

export function TrendChart({ months, series, label }: TrendChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element || months.length === 0) return;
    const width = () => Math.max(280, element.clientWidth);
    const options: uPlot.Options = {
      width: width(),
      height: 240,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map((tick) => `${tick} %`), size: 56 }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: COLORS[s.className],
          width: s.className === 'target' ? 1.5 : 2.5,
          ...(s.className === 'target' ? { dash: [6, 4] } : { points: { show: true, size: 6 } }),
          value: (_u: uPlot, value: number | null) => (value === null ? '—' : `${value.toFixed(1)} %`),
        })),
      ],
    };
    const data: uPlot.AlignedData = [months.map(seconds), ...series.map((s) => s.values)];
    let plot: uPlot | undefined;
    let resize: ResizeObserver | undefined;
    let stopped = false;
    void import('uplot').then(({ default: UPlot }) => {
      if (stopped) return;
      const drawn = new UPlot(options, data, element);
      plot = drawn;
      resize = new ResizeObserver(() => drawn.setSize({ width: width(), height: 240 }));
      resize.observe(element);
    });
    return () => {
      stopped = true;
      resize?.disconnect();
      plot?.destroy();
    };
  }, [months, series]);
  return <div class="trend" ref={holder} role="img" aria-label={label} />;
}
