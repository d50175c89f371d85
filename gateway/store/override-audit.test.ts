import { afterEach, describe, expect, it } from 'vitest';
import { openTestStore, tempDataDir } from '../../test/helpers/records.js';
import { auditOverrideChange } from './override-audit.js';

describe('auditOverrideChange', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('writes an entry only when the overrides of a rule set change', () => {
    const dir = tempDataDir();
    const store = openTestStore(dir.dir);
    cleanups.push(() => {
      store.close();
      dir.remove();
    });
    expect(auditOverrideChange(store.audit, 'JJG443-2023', {}, 'tester')).toBeUndefined();
    const first = auditOverrideChange(store.audit, 'JJG443-2023', { mmqMpePercent: '0.5' }, 'tester');
    expect(first?.details).toEqual({ overrides: { mmqMpePercent: '0.5' }, previous: {} });
    expect(
      auditOverrideChange(store.audit, 'JJG443-2023', { mmqMpePercent: '0.5' }, 'tester'),
    ).toBeUndefined();
    expect(auditOverrideChange(store.audit, 'JJG539-2016', {}, 'tester')).toBeUndefined();
    const removed = auditOverrideChange(store.audit, 'JJG443-2023', {}, 'lead');
    expect(removed).toMatchObject({ actor: 'lead', action: 'rules.override', subject: 'JJG443-2023' });
    expect(removed?.details).toEqual({ overrides: {}, previous: { mmqMpePercent: '0.5' } });
    expect(store.audit.verifyChain().intact).toBe(true);
  });
});
