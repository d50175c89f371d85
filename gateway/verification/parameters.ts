/**
 * Rule-set parameters with the user's overrides applied. Only parameters the reference marks
 * UNCONFIRMED may be overridden: a confirmed limit is the law, not a setting.
 */
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { ResolvedParameters, RuleSetBase } from './types.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function resolveParameters(
  ruleSet: RuleSetBase,
  overrides: Record<string, string> = {},
): ResolvedParameters {
  for (const [name, value] of Object.entries(overrides)) {
    const parameter = ruleSet.parameters[name];
    const path = `verification.overrides.${ruleSet.id}.${name}`;
    if (!parameter) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${path}: ${ruleSet.id} has no parameter "${name}"; overridable: ${overridableParameters(ruleSet).join(', ') || 'none'}`,
        { path },
      );
    }
    if (parameter.status !== 'UNCONFIRMED') {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${path}: "${name}" is ${parameter.status} (${parameter.source}) and cannot be overridden`,
        { path },
      );
    }
    if (!DECIMAL.test(String(value).trim())) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `${path}: expected a decimal number, got ${JSON.stringify(value)}`,
        {
          path,
        },
      );
    }
  }
  const applied: Record<string, string> = {};
  for (const [name, value] of Object.entries(overrides)) applied[name] = String(value).trim();
  const text = (name: string): string => {
    if (name in applied) return applied[name]!;
    const parameter = ruleSet.parameters[name];
    if (!parameter) throw new Error(`rule set ${ruleSet.id} has no parameter ${name}`);
    return parameter.value;
  };
  return { get: (name) => new Dec(text(name)), text, applied };
}

export function overridableParameters(ruleSet: RuleSetBase): string[] {
  return Object.entries(ruleSet.parameters)
    .filter(([, p]) => p.status === 'UNCONFIRMED')
    .map(([name]) => name);
}
