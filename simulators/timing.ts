/**
 * Sub-millisecond delays for wire-time emulation. setTimeout alone is late by up to a millisecond
 * or more, which at 115200 baud is a fifth of a Modbus cycle; the last stretch is waited out on the
 * event loop against the high-resolution clock.
 */
const SPIN_MARGIN_MS = 1.5;

export function preciseDelay(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  const until = performance.now() + ms;
  return new Promise((resolve) => {
    const spin = () => {
      if (performance.now() >= until) resolve();
      else setImmediate(spin);
    };
    if (ms > SPIN_MARGIN_MS) setTimeout(spin, ms - SPIN_MARGIN_MS);
    else spin();
  });
}
