/** A small line of the last readings of a channel (SVG; the numbers are in the table next to it). */
interface SparklineProps {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}

export function Sparkline({ values, label, width = 120, height = 28 }: SparklineProps) {
  if (values.length < 2) {
    return <svg class="spark" width={width} height={height} role="img" aria-label={label} />;
  }
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const step = width / (values.length - 1);
  const y = (value: number) => height - 2 - ((value - min) / (max - min)) * (height - 4);
  const points = values
    .map((value, index) => `${(index * step).toFixed(1)},${y(value).toFixed(1)}`)
    .join(' ');
  const last = values[values.length - 1] ?? 0;
  return (
    <svg
      class="spark"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
      <circle cx={width - 1.5} cy={y(last)} r="2" fill="currentColor" />
    </svg>
  );
}
