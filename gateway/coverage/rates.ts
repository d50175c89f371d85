/**
 * Rates and targets of the coverage indicators (contracts.md §6). A rate is the exact quotient of
 * two counts rounded half-up to 4 places and written as decimal text without trailing zeros
 * ("0.9167", "0.93", "1", "0"); a zero denominator gives null. Integer arithmetic throughout: a
 * binary float could put 0.91665 on the wrong side of the rounding.
 */
import { Dec } from '../../drivers/decimal.js';
import type { CoverageConfig } from '../config/gateway-config.js';

const PLACES = 4;
const SCALE = 10n ** BigInt(PLACES);

/** numerator / denominator, half-up to 4 places, or null when the denominator is 0. */
export function rate(numerator: number, denominator: number): string | null {
  if (denominator === 0) return null;
  const n = BigInt(numerator);
  const d = BigInt(denominator);
  // floor(n/d · 10⁴ + ½) = floor((2·n·10⁴ + d) / 2d); counts are never negative.
  const scaled = (2n * n * SCALE + d) / (2n * d);
  const whole = scaled / SCALE;
  const fraction = (scaled % SCALE).toString().padStart(PLACES, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/** A target as the rows show it: normalised decimal text ("0.90" → "0.9"). */
export function targetText(target: string): string {
  return new Dec(target).toFixed();
}

/**
 * Whether numerator / denominator reaches the target, compared exactly (n ≥ target · d), not
 * through the rounded rate: 8999 of 10 000 is printed 0.8999 and 89 995 of 100 000 is printed
 * 0.9 (rounded up) but neither reaches 0.9. null when nothing fell due: there is no rate to judge,
 * which is neither a miss nor a success.
 */
export function meetsTarget(numerator: number, denominator: number, target: string): boolean | null {
  if (denominator === 0) return null;
  return new Dec(numerator).gte(new Dec(target).times(denominator));
}

/** Marks a total over all regions or all kinds in a row's `region` or `kind`. */
export const ALL = '*';

/**
 * The target of a region and kind: the most specific rule of `coverage.targets.rules` that
 * matches (region and kind > region only > kind only), else `coverage.targets.default`. Among
 * equally specific rules the first listed wins. A region-only rule beats a kind-only one because
 * a district's own plan is what its office is measured against. Totals (region or kind `*`) match
 * only rules that do not name that dimension.
 */
export function targetFor(config: CoverageConfig, region: string, kind: string): string {
  let best: { specificity: number; target: string } | undefined;
  for (const rule of config.targets.rules) {
    if (rule.region !== undefined && (region === ALL || rule.region !== region)) continue;
    if (rule.kind !== undefined && (kind === ALL || rule.kind !== kind)) continue;
    const specificity = (rule.region !== undefined ? 2 : 0) + (rule.kind !== undefined ? 1 : 0);
    if (!best || specificity > best.specificity) best = { specificity, target: rule.target };
  }
  return best?.target ?? config.targets.default;
}
