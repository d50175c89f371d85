import { afterEach } from 'vitest';

/**
 * Registers an afterEach that runs, last registered first, every cleanup a test handed to the
 * returned function. All of them run even when one fails; the first failure then fails the hook, so
 * a resource that cannot be closed is not silently leaked into the next test.
 */
export function useCleanup(): (cleanup: () => unknown) => void {
  const pending: Array<() => unknown> = [];
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const cleanup of pending.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  });
  return (cleanup) => {
    pending.push(cleanup);
  };
}
