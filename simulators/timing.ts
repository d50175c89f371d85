/**
 * Sub-millisecond delays for wire-time emulation. setTimeout alone is late by up to a millisecond
 * or more, which at 115200 baud is a sixth of a Modbus cycle. The last stretch is slept with
 * Atomics.wait (a futex wait: precise, and no CPU burnt spinning, which on a two-core machine would
 * starve the driver and socat of the very time being measured). Blocking the simulator's event loop
 * for at most SLEEP_MARGIN_MS is fine: a simulated device answers one request at a time anyway.
 */
const SLEEP_MARGIN_MS = 1.5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepUntil(until: number): void {
  const remaining = until - performance.now();
  if (remaining > 0) Atomics.wait(sleeper, 0, 0, remaining);
}

export function preciseDelay(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  const until = performance.now() + ms;
  return new Promise((resolve) => {
    const finish = () => {
      sleepUntil(until);
      resolve();
    };
    if (ms > SLEEP_MARGIN_MS) setTimeout(finish, ms - SLEEP_MARGIN_MS);
    else finish();
  });
}
