import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support.js';

describe('GET /api/standards', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi({ now: () => new Date('2026-03-01T08:00:00Z') });
    api.store.standards.addAll(
      [
        {
          id: 'CAN-20L',
          kind: 'can',
          nominalVolume: 20,
          material: 'stainless-steel',
          relativeMpe: '0.025',
          certificateNumber: 'SC-2025-88',
          calibrationDate: '2025-06-01',
          dueDate: '2026-05-31',
        },
        {
          id: 'T-1',
          kind: 'thermometer',
          mpe: '0.2',
          certificateNumber: 'SC-2024-12',
          calibrationDate: '2024-01-10',
          dueDate: '2025-01-09',
        },
      ],
      { actor: 'test' },
    );
  });
  afterEach(async () => {
    await api.close();
  });

  it('lists the standards with their validity today, filtered by kind', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/standards',
      headers: api.auth('technician'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().date).toBe('2026-03-01');
    expect(response.json().standards.map((s: { id: string; valid: boolean }) => [s.id, s.valid])).toEqual([
      ['CAN-20L', true],
      ['T-1', false],
    ]);
    expect(response.json().standards[0]).toMatchObject({
      kind: 'can',
      description: '20 L stainless-steel standard can (MPE ±0.025 %)',
      standard: { nominalVolume: '20' },
    });
    const cans = await api.app.inject({
      method: 'GET',
      url: '/api/standards?kind=can',
      headers: api.auth('admin'),
    });
    expect(cans.json().standards).toHaveLength(1);
  });

  it('is not for regulators', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/standards',
      headers: api.auth('regulator'),
    });
    expect(response.statusCode).toBe(403);
  });
});
