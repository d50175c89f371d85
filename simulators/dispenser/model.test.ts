import { describe, expect, it } from 'vitest';
import { DispenserModel } from './model.js';

const fast = { timeScale: 1_000_000 };

describe('DispenserModel', () => {
  it('walks reset → authorized → filling → completed and advances the totalizers by the displayed delivery', async () => {
    const model = new DispenserModel(fast);
    expect(model.snapshot().state).toBe('reset');
    expect(model.authorize()).toBe('ok');
    expect(model.authorize()).toBe('refused');
    const done = await model.fill({ nozzle: 1, flow: '40', trueVolume: '20' });
    expect(done).toMatchObject({
      state: 'completed',
      nozzleOut: false,
      volume: '20.00',
      amount: '157.80',
      unitPrice: '7.89',
    });
    expect(done.totals.find((t) => t.nozzle === 1)).toEqual({
      nozzle: 1,
      volume: '123476.78',
      amount: '974231.79',
    });
  });

  it('refuses to fill a pump its controller has not authorized', async () => {
    const model = new DispenserModel(fast);
    await expect(model.fill({ nozzle: 1, flow: '40', trueVolume: '20' })).rejects.toThrow(/not authorized/);
  });

  it('measures each stretch of a flow profile at its own flow error', async () => {
    const model = new DispenserModel({
      ...fast,
      meterError: {
        offsetPercent: '0',
        curve: [
          { flow: '10', errorPercent: '0.5' },
          { flow: '50', errorPercent: '-0.1' },
        ],
      },
    });
    model.authorize();
    const done = await model.fill({
      nozzle: 1,
      profile: [
        { flow: '10', volume: '2' },
        { flow: '50', volume: '16' },
        { flow: '10', volume: '2' },
      ],
    });
    // 4 L at +0.5 % and 16 L at −0.1 %: 4.02 + 15.984 = 20.004 L counted, shown 20.00.
    expect(done.trueVolume).toBe('20');
    expect(done.volume).toBe('20.00');
    expect(done.state).toBe('completed');
  });

  it('computes the amount with the configured rounding', async () => {
    const volumes = async (rounding: 'half-up' | 'down') => {
      const model = new DispenserModel({ ...fast, priceRounding: rounding });
      model.authorize();
      return (await model.fill({ nozzle: 1, flow: '40', trueVolume: '20.03' })).amount;
    };
    // 20.03 × 7.89 = 158.0367
    expect(await volumes('half-up')).toBe('158.04');
    expect(await volumes('down')).toBe('158.03');
  });

  it('gives the can reading that the JJG 443 correction turns back into the true volume', async () => {
    const model = new DispenserModel({
      ...fast,
      can: {
        material: 'stainless-steel',
        resolution: '0.001',
        fuelTemperature: '26.0',
        canTemperature: '24.0',
      },
    });
    await model.deliver({ nozzle: 1, flow: '40', trueVolume: '20.002' });
    // V_B = 20.002 / (1 + 0.0012 × 2 + 0.00005 × 4) = 20.002 / 1.0026 = 19.950 L (reference vector F2).
    expect(model.canReading()).toMatchObject({
      canVolume: '19.95',
      fuelTemperature: '26',
      canTemperature: '24',
      referenceVolume: '20.002',
    });
  });

  it('stops at the maximum amount', async () => {
    const model = new DispenserModel({ ...fast, maxAmount: '100' });
    model.authorize();
    model.liftNozzle(1);
    model.setFlow('40');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const state = model.snapshot();
    expect(state.state).toBe('max-reached');
    expect(Number(state.amount)).toBeGreaterThanOrEqual(100);
  });
});
