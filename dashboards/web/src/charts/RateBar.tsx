/**
 * A rate as a horizontal bar from 0 to 100 %, with the target as a line across it. The rate is
 * also written as text, so the bar adds nothing a screen reader misses.
 */
import { percent } from '../format.js';

interface RateBarProps {
  rate: string | null;
  target: string;
  label: string;
}

export function RateBar({ rate, target, label }: RateBarProps) {
  const value = rate === null ? undefined : Math.max(0, Math.min(1, Number(rate)));
  const goal = Math.max(0, Math.min(1, Number(target)));
  const meets = value !== undefined && value >= goal;
  const tone = value === undefined ? 'none' : meets ? 'good' : value >= goal - 0.1 ? 'near' : 'bad';
  return (
    <div class="rate">
      <div class="rate-track" role="img" aria-label={`${label}: ${percent(rate)} / ${percent(target, 0)}`}>
        {value !== undefined && (
          <div class={`rate-fill ${tone}`} style={{ width: `${(value * 100).toFixed(2)}%` }} />
        )}
        <div class="rate-target" style={{ left: `${(goal * 100).toFixed(2)}%` }} />
      </div>
      <span class={`rate-text ${tone}`}>{percent(rate)}</span>
    </div>
  );
}
