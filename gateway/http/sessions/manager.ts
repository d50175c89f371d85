/**
 * The verification sessions of one API instance, in memory: a restart of the gateway ends them
 * (what matters, the record, is stored by `complete`). One open session per device at a time; a
 * session left waiting longer than the idle limit is cancelled; finished sessions are kept for
 * reading until the cap pushes the oldest out. Changes are told to listeners (the SSE stream).
 */

import type { ScaleDriver } from '../../../drivers/contract.js';
import { MetrogateError } from '../../../drivers/errors.js';
import type { MetrogateStore } from '../../store/store.js';
import type { ScaleOperator } from '../../verification/guided-scale.js';
import type { RuleOverrides, Stage } from '../../verification/types.js';
import type { GatewayView } from '../deps.js';
import { ApiError } from '../errors.js';
import { planSession } from './plan.js';
import { type SessionView, VerificationSession } from './session.js';

export interface StartSessionRequest {
  device?: string;
  kind?: 'scale' | 'dispenser' | 'taximeter';
  ruleSet?: string;
  stage: Stage;
  instrument: Record<string, unknown>;
  standards: string[];
  operator?: string;
  rounding: boolean;
  variant?: 'bench' | 'installed';
}

export interface SessionManagerOptions {
  store: MetrogateStore;
  gateway?: GatewayView;
  overrides: RuleOverrides;
  now: () => Date;
  stableTimeoutMs: number;
  maxSessions: number;
  idleMs: number;
  /** Verification period in months of an instrument: the register's, else the configured default. */
  periodMonths: (instrumentId: string, kind: 'scale' | 'dispenser' | 'taximeter') => number;
  /** Register fields (owner, site, region, category) of an instrument id, when the register knows it. */
  registerFields?: (instrumentId: string) => { kind: string; fields: Record<string, string> } | undefined;
  scaleAssist?: (deviceId: string) => ScaleOperator | undefined;
}

export type SessionListener = (view: SessionView) => void;

export class SessionManager {
  private readonly sessions = new Map<string, VerificationSession>();
  private readonly listeners = new Set<SessionListener>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionManagerOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, options.idleMs / 4)));
    this.sweeper.unref();
  }

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  list(): SessionView[] {
    return [...this.sessions.values()].map((session) => session.view()).reverse();
  }

  require(id: string): VerificationSession {
    const session = this.sessions.get(id);
    if (!session)
      throw new MetrogateError('MG_ERR_NOT_FOUND', `no verification session ${id}`, { session: id });
    return session;
  }

  async start(request: StartSessionRequest, principal: { name: string }): Promise<SessionView> {
    const { store, gateway } = this.options;
    const now = this.options.now();
    const instrument = { ...request.instrument };
    const instrumentId = typeof instrument.id === 'string' ? instrument.id : '';
    const known = instrumentId ? this.options.registerFields?.(instrumentId) : undefined;
    if (known) {
      for (const [field, value] of Object.entries(known.fields)) instrument[field] ??= value;
    }
    const standards = request.standards.map((id) => store.standards.require(id));
    let driver: ScaleDriver | undefined;
    if (request.device !== undefined) {
      if (!gateway) {
        throw new ApiError(
          409,
          'MG_ERR_INPUT_INVALID',
          'body.device: this gateway runs no devices (metrogate serve)',
          {
            path: 'body.device',
          },
        );
      }
      const known = gateway.devices().find((d) => d.id === request.device);
      if (!known)
        throw new MetrogateError('MG_ERR_NOT_FOUND', `no device ${request.device}`, {
          device: request.device,
        });
      driver = gateway.scaleDriver(request.device);
      if (!driver) {
        throw new ApiError(
          400,
          'MG_ERR_INPUT_INVALID',
          `body.device: ${request.device} is a ${known.kind}, not a scale; dispensers and taximeters are verified by entering the values of each step, without a device`,
          { path: 'body.device' },
        );
      }
    }
    const plan = planSession({
      // A scale device says what is verified when the request does not (as `metrogate verify --device`).
      ...(request.kind
        ? { kind: request.kind }
        : driver && !request.ruleSet
          ? { kind: 'scale' as const }
          : {}),
      ...(request.ruleSet ? { ruleSet: request.ruleSet } : {}),
      stage: request.stage,
      instrument,
      standards,
      ...(request.variant ? { variant: request.variant } : {}),
      overrides: this.options.overrides,
      today: now.toISOString().slice(0, 10),
    });
    if (known && known.kind !== plan.kind) {
      throw new ApiError(
        400,
        'MG_ERR_INPUT_INVALID',
        `body.instrument.id: ${instrumentId} is a ${known.kind} in the register, not a ${plan.kind}`,
        {
          path: 'body.instrument.id',
        },
      );
    }
    let device: ConstructorParameters<typeof VerificationSession>[0]['device'];
    if (plan.kind === 'scale') {
      if (!request.device || !driver) {
        throw new ApiError(
          400,
          'MG_ERR_INPUT_INVALID',
          'body.device: a scale is verified through its device (see GET /api/devices)',
          {
            path: 'body.device',
          },
        );
      }
      const busy = [...this.sessions.values()].find((s) => s.deviceId === request.device && !s.ended);
      if (busy) {
        throw new ApiError(
          409,
          'MG_ERR_INPUT_INVALID',
          `body.device: ${request.device} is in session ${busy.id}; complete or cancel it first`,
          {
            path: 'body.device',
            session: busy.id,
          },
        );
      }
      const assist = this.options.scaleAssist?.(request.device);
      device = { id: request.device, driver, ...(assist ? { assist } : {}) };
    } else if (request.device !== undefined) {
      throw new ApiError(
        400,
        'MG_ERR_INPUT_INVALID',
        `body.device: ${plan.kind}s are verified by entering the values of each step; leave out device`,
        {
          path: 'body.device',
        },
      );
    }
    const open = [...this.sessions.values()].filter((s) => !s.ended).length;
    if (open >= this.options.maxSessions) {
      throw new ApiError(
        429,
        'MG_ERR_RATE_LIMITED',
        `${open} sessions are open; complete or cancel some first`,
      );
    }
    const session = new VerificationSession(
      {
        plan,
        operator: request.operator?.trim() || principal.name,
        standards,
        ...(device ? { device } : {}),
        rounding: request.rounding,
      },
      {
        store,
        overrides: this.options.overrides,
        now: this.options.now,
        stableTimeoutMs: this.options.stableTimeoutMs,
        periodMonths: this.options.periodMonths(plan.recordInstrument.id, plan.kind),
        onChange: (changed) => this.tell(changed),
      },
    );
    this.sessions.set(session.id, session);
    this.prune();
    return session.start();
  }

  /** Cancels every open session (the server is closing). */
  close(): void {
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) session.cancel('the gateway is stopping');
  }

  private tell(session: VerificationSession): void {
    if (this.listeners.size === 0) return;
    const view = session.view();
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  private sweep(): void {
    const limit = this.options.now().getTime() - this.options.idleMs;
    for (const session of this.sessions.values()) {
      if (!session.ended && session.idleSince < limit) session.cancel('no request for too long (idle limit)');
    }
  }

  private prune(): void {
    if (this.sessions.size <= this.options.maxSessions) return;
    for (const [id, session] of this.sessions) {
      if (this.sessions.size <= this.options.maxSessions) break;
      if (session.ended) this.sessions.delete(id);
    }
  }
}
