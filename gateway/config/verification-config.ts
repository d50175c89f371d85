/**
 * The `verification` section of the gateway config: overrides of rule-set parameters the
 * reference marks UNCONFIRMED, per rule set. The full gateway config (devices, sinks) builds on this
 * file's loader; other sections are ignored here.
 *
 *   verification:
 *     overrides:
 *       JJG443-2023:
 *         mmqMpePercent: "0.50"
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MetrogateError } from '../../drivers/errors.js';
import { RULE_SET_IDS, type RuleOverrides } from '../verification/types.js';

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^[+-]?(\d+(\.\d*)?|\.\d+)$/, 'expected a decimal number'));

export const verificationConfigSchema = z
  .object({
    overrides: z.partialRecord(z.enum(RULE_SET_IDS), z.record(z.string(), decimalText)).default({}),
  })
  .strict();

export type VerificationConfig = z.infer<typeof verificationConfigSchema>;

function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** Reads the `verification` section of a YAML config file; errors name the file and field. */
export function loadVerificationConfig(file: string): VerificationConfig {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: ${(error as Error).message}`, { path: file });
  }
  const section = (document as { verification?: unknown } | null)?.verification ?? {};
  const result = verificationConfigSchema.safeParse(section);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = `verification.${issuePath(issue.path)}`;
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${file}: ${path}: ${issue.message}`, {
      path: `${file}:${path}`,
    });
  }
  return result.data;
}

export function overridesOf(config: VerificationConfig | undefined): RuleOverrides {
  return (config?.overrides ?? {}) as RuleOverrides;
}
