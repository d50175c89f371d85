/**
 * Rule-set overrides live in the config file, which the gateway does not own: it notices a change
 * when it uses them. Before a verification is recorded with a rule set, the overrides in effect are
 * compared with the last ones the audit trail holds for that rule set; a difference (including
 * overrides removed) is written as a `rules.override` entry, so the trail shows every change of
 * the limits a verdict was judged by (OIML D 31 audit trail).
 */

import type { AuditTrail, StoredAuditEntry } from './audit.js';
import { canonicalJson } from './canonical-json.js';

export function auditOverrideChange(
  audit: AuditTrail,
  ruleSetId: string,
  overrides: Readonly<Record<string, string>>,
  actor: string,
): StoredAuditEntry | undefined {
  const last = audit.list({ subject: ruleSetId }).find((entry) => entry.action === 'rules.override');
  const previous = (last?.details?.overrides ?? {}) as Record<string, string>;
  if (canonicalJson(previous) === canonicalJson(overrides)) return undefined;
  return audit.append({
    actor,
    action: 'rules.override',
    subject: ruleSetId,
    details: { overrides: { ...overrides }, previous },
  });
}
