/**
 * What every plugin of the API is given: the deps of buildApp with their defaults filled in, and
 * the parts the app owns (the token store, the verification sessions, the metrics registry).
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../drivers/logger.js';
import type { CertificateInstitute } from '../certificates/index.js';
import type { CoverageConfig } from '../config/gateway-config.js';
import type { MetrogateStore } from '../store/store.js';
import type { TokenStore } from '../store/tokens.js';
import type { RuleOverrides } from '../verification/types.js';
import type { GatewayView, HttpOptions } from './deps.js';
import type { SessionManager } from './sessions/manager.js';

export interface ApiContext {
  store: MetrogateStore;
  logger: Logger;
  gateway: GatewayView | undefined;
  coverage: CoverageConfig;
  overrides: RuleOverrides;
  institute: CertificateInstitute | undefined;
  options: HttpOptions;
  now: () => Date;
  tokens: TokenStore;
  sessions: SessionManager;
  metrics: Registry;
  /** Open SSE streams (each by the function that closes it): counted against `maxLiveClients`, closed on close. */
  liveStreams: Set<() => void>;
}

/** The options every area plugin is registered with. */
export interface AreaOptions {
  api: ApiContext;
}
