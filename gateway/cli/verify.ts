/**
 * `metrogate verify`: a guided verification at the bench. For a scale it connects to the device
 * through its driver and walks the procedure step by step (the technician places the loads, or
 * the simulator does with --auto), taking every stable indication from the scale and showing each
 * error against its MPE as it goes. Dispensers and taximeters are verified by entering the values
 * of each step (their drivers come later). The result is evaluated, checked against the reference
 * standards used, stored as a chained record, and optionally printed as a certificate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import {
  type Driver,
  isDispenserDriver,
  isScaleDriver,
  isTaximeterDriver,
  type TaximeterDriver,
} from '../../drivers/contract.js';
import { MetrogateError } from '../../drivers/errors.js';
import { getDriver } from '../../drivers/registry.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import { renderCertificate } from '../certificates/index.js';
import { loadVerificationConfig, overridesOf } from '../config/verification-config.js';
import { DEFAULT_PERIOD_MONTHS, recordBenchResult, relativeStandardsFor } from '../store/bench-record.js';
import { auditOverrideChange } from '../store/override-audit.js';
import type { RecordInstrument, RecordStandard } from '../store/record-types.js';
import { toRecordStandard } from '../store/standards.js';
import { checkStandardsDue, checkStandardsFor } from '../store/standards-check.js';
import type { MetrogateStore } from '../store/store.js';
import { dispenserTestPlan } from '../verification/dispenser/index.js';
import { isRuleSetId } from '../verification/evaluate.js';
import { runGuidedDispenser } from '../verification/guided-dispenser.js';
import { runGuidedScale } from '../verification/guided-scale.js';
import { runGuidedTaximeter } from '../verification/guided-taximeter.js';
import { positionOf, scaleProcedure } from '../verification/procedures/scale.js';
import { RULE_SETS } from '../verification/rules/index.js';
import {
  mpeAt,
  parseScaleInstrument,
  type ScaleRuleSet,
  scaleLoadPoints,
} from '../verification/scale/index.js';
import { taximeterTestPlan } from '../verification/taximeter/index.js';
import { RULE_SET_IDS, STAGES, type Stage } from '../verification/types.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { addDeviceOptions, buildDeviceConfig, type DeviceCliOptions } from './device-options.js';
import { resultTable } from './evaluate.js';
import { createOutput, EXIT_FAILED, EXIT_OK, reportError } from './output.js';
import {
  askDecimal,
  simulatorDispenserOperator,
  simulatorOperator,
  simulatorTaximeterBench,
  technicianDispenserOperator,
  technicianOperator,
  technicianTaximeterBench,
} from './verify-operators.js';

interface VerifyOptions extends DeviceCliOptions {
  device?: string;
  ruleSet?: string;
  stage: string;
  instrumentId: string;
  instrumentFile?: string;
  class?: string;
  max?: string;
  min?: string;
  e?: string;
  d?: string;
  unit?: string;
  owner?: string;
  site?: string;
  region?: string;
  category?: string;
  operator?: string;
  standards?: string;
  rounding: boolean;
  auto?: boolean;
  simControl?: string;
  answers?: string;
  flows: string;
  canVolume: string;
  nozzle: string;
  gatewayConfig?: string;
  periodMonths?: string;
  certificate?: string;
  lang: 'zh' | 'en' | 'both';
  stableTimeout: string;
  dataDir?: string;
  json?: boolean;
}

/** The Chinese rules in force, used when only the device says what is verified. */
const DEFAULT_RULE_SETS = {
  scale: 'JJG539-2016',
  dispenser: 'JJG443-2023',
  taximeter: 'JJG517-2016',
} as const;

function readStructured(file: string, flag: string): Record<string, unknown> {
  try {
    const value = parseYaml(readFileSync(file, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('expected a mapping');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${flag} ${file}: ${(error as Error).message}`, {
      path: file,
    });
  }
}

export function registerVerify(program: Command, context: CliContext): void {
  const command = program
    .command('verify')
    .summary('walk a verification procedure at the bench and record the result')
    .description(
      'Guided verification. For a scale: connects through the driver (--device and the connection ' +
        'options of `metrogate read`), prompts for each load ("place 5000 g at quarter q2"), takes the ' +
        'stable indication, asks for the rounding weights, and shows each error against its MPE. With ' +
        "--auto the scale simulator's control API places the loads. For dispensers and taximeters each " +
        'step asks for its values. The result is stored as a chained record in the data directory.',
    )
    .option('--device <driver>', 'scale driver id (see `metrogate drivers`), e.g. scale-mtsics')
    .addOption(
      new Option(
        '--rule-set <id>',
        'rule set (default for a --device: JJG539-2016, JJG443-2023 or JJG517-2016 by its kind)',
      ).choices([...RULE_SET_IDS]),
    )
    .addOption(new Option('--stage <stage>', 'verification stage').choices([...STAGES]).default('initial'))
    .requiredOption('--instrument-id <id>', 'register id of the instrument (器具编号)')
    .option(
      '--instrument-file <file>',
      'instrument parameters as YAML/JSON (contracts.md §1 `instrument`, plus owner, site, region, category)',
    )
    .option('--class <class>', 'scale accuracy class: I, II, III or IIII')
    .option('--max <max>', 'scale maximum capacity')
    .option('--min <min>', 'scale minimum capacity (default from the class table)')
    .option('--e <e>', 'verification scale interval e')
    .option('--d <d>', 'actual scale interval d (default e)')
    .option('--unit <unit>', 'mass unit: mg, g, kg or t', 'g')
    .option('--owner <owner>', 'owner (使用单位)')
    .option('--site <site>', 'site (地点)')
    .option('--region <region>', 'district (区域)')
    .option('--category <category>', 'category, e.g. 电子计价秤')
    .option('--operator <name>', 'technician who performs the verification (default $USER)')
    .option(
      '--standards <ids>',
      'reference standards used, comma-separated ids of `metrogate standards list`',
    )
    .option('--no-rounding', 'do not use rounding-error elimination (then E = I − L)')
    .option('--auto', 'unattended: the scale simulator places the loads (needs --sim-control)')
    .option('--sim-control <url>', 'control API of the scale simulator (printed by `metrogate sim scale`)')
    .option('--flows <list>', 'dispenser: flow rate of each flow label, L/min', 'max=50,q2=20,min=5')
    .option('--can-volume <litres>', 'dispenser: nominal volume of the standard can', '20')
    .option('--nozzle <n>', 'dispenser: nozzle under test', '1')
    .option(
      '--answers <file>',
      'dispenser/taximeter: the values of each step as YAML/JSON (a list of objects) instead of prompts',
    )
    .option('--gateway-config <file>', 'gateway config whose verification.overrides apply')
    .option(
      '--period-months <n>',
      'verification period for the valid-until date (default: scale 12, dispenser 6, taximeter 12)',
    )
    .option('--certificate <file>', 'also write the certificate (pass) or notice of rejection (fail) as PDF')
    .addOption(
      new Option('--lang <lang>', 'certificate language').choices(['zh', 'en', 'both']).default('both'),
    )
    .option('--stable-timeout <ms>', 'how long to wait for a stable indication at each step', '30000')
    .addOption(dataDirOption())
    .option('--json', 'print the stored record as JSON at the end');
  addDeviceOptions(command, { configFlag: '--device-config' })
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  metrogate verify --device scale-mtsics --port /dev/ttyUSB0 --rule-set JJG539-2016 --stage initial \\\n' +
        '      --instrument-id SC-0042 --class III --max 15000 --e 5 --unit g --standards W-F2-01\n' +
        '  metrogate verify --device scale-mtsics --port /tmp/metrogate-…-gw --auto --sim-control http://127.0.0.1:PORT \\\n' +
        '      --rule-set OIML-R76-1:2006 --instrument-id SIM-1 --class III --max 15000 --e 5\n' +
        '  metrogate verify --rule-set JJG443-2023 --instrument-id D-7 --instrument-file dispenser.yaml --answers runs.yaml',
    )
    .action(async (options: VerifyOptions) => {
      process.exitCode = await runVerify(options, context);
    });
}

async function runVerify(options: VerifyOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  let store: MetrogateStore | undefined;
  /** Every driver opened, closed at the end whatever happens. */
  const opened: Driver[] = [];
  const busPool = new ModbusBusPool();
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  // Prompts only when a person answers them: --auto and --answers read nothing from stdin.
  const interactive = options.auto !== true && options.answers === undefined;
  const rl = interactive
    ? createInterface({ input: process.stdin, output: process.stderr, terminal: false })
    : undefined;
  rl?.on('close', () => abort.abort(new Error('input closed')));
  /** The --device driver, checked to be of the kind verified, initialised and connected. */
  const openDevice = async <D extends Driver>(
    what: string,
    isKind: (created: Driver) => created is D,
  ): Promise<{
    device: D;
    config: Record<string, unknown>;
    info: { driverId: string; identity: Record<string, string | undefined> };
  }> => {
    const definition = getDriver(options.device!);
    const config = buildDeviceConfig(definition, { ...options, config: options.deviceConfig });
    const created = definition.create(
      config,
      createDriverDeps(definition, config, { logger: context.logger, busPool }),
    );
    if (!isKind(created)) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--device: ${options.device} is not a ${what} driver`,
        {
          path: '--device',
        },
      );
    }
    opened.push(created);
    created.init();
    const identity = await created.connect(AbortSignal.any([abort.signal, AbortSignal.timeout(30_000)]));
    return {
      device: created,
      config: config as Record<string, unknown>,
      info: { driverId: definition.id, identity },
    };
  };
  try {
    if (options.ruleSet === undefined) {
      if (!options.device) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          '--rule-set: required when no --device says the instrument kind',
          { path: '--rule-set' },
        );
      }
      options.ruleSet = DEFAULT_RULE_SETS[getDriver(options.device).kind as keyof typeof DEFAULT_RULE_SETS];
      if (!options.ruleSet)
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `--rule-set: no default for ${options.device}; name one`,
          { path: '--rule-set' },
        );
    }
    if (!isRuleSetId(options.ruleSet)) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--rule-set: unknown "${options.ruleSet}"; known: ${RULE_SET_IDS.join(', ')}`,
        {
          path: '--rule-set',
        },
      );
    }
    const entry = RULE_SETS[options.ruleSet];
    const kind = entry.ruleSet.kind;
    const stage = options.stage as Stage;
    const fromFile = options.instrumentFile
      ? readStructured(options.instrumentFile, '--instrument-file')
      : {};
    const instrument: Record<string, unknown> = { ...fromFile, kind };
    if (kind === 'scale') {
      for (const [flag, key] of [
        ['class', 'accuracyClass'],
        ['max', 'max'],
        ['min', 'min'],
        ['e', 'e'],
        ['d', 'd'],
      ] as const) {
        const value = options[flag];
        if (value !== undefined) instrument[key] = value;
      }
      instrument.unit ??= options.unit ?? 'g';
      instrument.d ??= instrument.e;
    }
    const registerFields = [
      'owner',
      'site',
      'region',
      'category',
      'manufacturer',
      'model',
      'serialNumber',
    ] as const;
    const recordInstrument: RecordInstrument = { id: options.instrumentId, kind };
    for (const field of registerFields) {
      const value = (options as unknown as Record<string, unknown>)[field] ?? fromFile[field];
      if (typeof value === 'string') recordInstrument[field] = value;
      delete instrument[field];
    }
    const overrides = options.gatewayConfig ? overridesOf(loadVerificationConfig(options.gatewayConfig)) : {};
    store = openCliStore(options.dataDir, context);
    const standardIds = (options.standards ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const standards = standardIds.map((id) => store!.standards.require(id));
    const today = new Date().toISOString().slice(0, 10);
    // A standard out of date stops the verification before anything else happens.
    checkStandardsDue(standards, today);
    const operator = options.operator ?? process.env.USER ?? 'unknown';

    let tests: Record<string, unknown>[];
    let usedStandards: RecordStandard[] = [];
    let deviceInfo: { driverId?: string; identity?: Record<string, string | undefined> } | undefined;
    if (kind === 'scale') {
      if (!options.device)
        throw new MetrogateError('MG_ERR_INPUT_INVALID', '--device: a scale driver is required for scales', {
          path: '--device',
        });
      const scaleRuleSet = entry.ruleSet as ScaleRuleSet;
      const parsed = parseScaleInstrument(scaleRuleSet, instrument);
      const plan = scaleLoadPoints(scaleRuleSet, parsed);
      const steps = scaleProcedure(plan);
      // Refuse before the first load goes on if a weight set is not good enough at any load.
      const weightSets = standards.filter((standard) => standard.kind === 'weight-set');
      const loads = [...new Set(steps.map((s) => s.load).filter((l) => l !== '0'))];
      const used = new Map<string, RecordStandard>();
      for (const load of weightSets.length > 0 ? loads : []) {
        const mpe = mpeAt(scaleRuleSet, parsed.accuracyClass, parsed.e, load, stage).toFixed();
        const checked = checkStandardsFor({
          standards: weightSets,
          date: today,
          load,
          unit: parsed.unit,
          instrumentMpe: mpe,
        });
        for (const standard of checked) used.set(standard.id, standard);
      }
      for (const standard of standards) {
        if (standard.kind !== 'weight-set') used.set(standard.id, toRecordStandard(standard));
      }
      usedStandards = [...used.values()];
      const scale = await openDevice('scale', isScaleDriver);
      const driver = scale.device;
      deviceInfo = scale.info;
      if (options.auto && !options.simControl) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          '--auto needs --sim-control URL (printed by `metrogate sim scale`)',
          { path: '--sim-control' },
        );
      }
      const operatorImpl = options.auto
        ? simulatorOperator(options.simControl!)
        : technicianOperator(rl!, parsed.unit, options.lang === 'zh' ? 'zh' : 'en');
      out.note(
        `verifying ${recordInstrument.id} (${parsed.accuracyClass}, Max ${plan.max} ${plan.unit}, e ${plan.e}) against ${options.ruleSet}, ${stage}: ${steps.length} steps`,
      );
      const bar =
        options.auto && process.stderr.isTTY
          ? new SingleBar({
              format: 'verifying {bar} {value}/{total} {step}',
              stream: process.stderr,
              clearOnComplete: true,
            })
          : undefined;
      bar?.start(steps.length, 0, { step: '' });
      const run = await runGuidedScale({
        driver,
        operator: operatorImpl,
        steps,
        ruleSet: options.ruleSet,
        stage,
        instrument,
        roundingWeight: plan.roundingWeight,
        rounding: options.rounding,
        overrides,
        stableTimeoutMs: Number(options.stableTimeout),
        signal: abort.signal,
        onStep: (outcome, index, total) => {
          const { step, capture } = outcome;
          const where = positionOf(step) === 'center' ? '' : ` @${positionOf(step)}`;
          const judged = outcome.summary ? `  ${outcome.summary}` : '';
          const line = `[${index + 1}/${total}] ${step.kind} ${step.load} ${plan.unit}${where}: I = ${capture.indication}${capture.roundingLoad ? `, ΔL = ${capture.roundingLoad}` : ''}${capture.indicationAfter ? ` → ${capture.indicationAfter}` : ''}${judged}`;
          if (bar) bar.update(index + 1, { step: line });
          else out.note(line);
        },
      });
      bar?.stop();
      tests = run.tests;
    } else if (kind === 'dispenser' && options.device) {
      const opening = await openDevice('dispenser', isDispenserDriver);
      const dispenser = opening.device;
      const config = opening.config as { address?: number; unitId?: number };
      deviceInfo = opening.info;
      if (options.auto && !options.simControl) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          '--auto needs --sim-control URL (printed by `metrogate sim dispenser`)',
          { path: '--sim-control' },
        );
      }
      const address = config.address ?? config.unitId ?? 0x50;
      const operatorImpl = options.auto
        ? simulatorDispenserOperator(options.simControl!, address)
        : technicianDispenserOperator(rl!);
      const plan = dispenserTestPlan(
        entry.ruleSet as Parameters<typeof dispenserTestPlan>[0],
        instrument,
        overrides[options.ruleSet],
      );
      out.note(
        `verifying ${recordInstrument.id} against ${options.ruleSet}, ${stage}: ${plan.steps.length} steps, nozzle ${options.nozzle}`,
      );
      tests = await runGuidedDispenser({
        driver: dispenser,
        operator: operatorImpl,
        steps: plan.steps,
        nozzle: Number(options.nozzle),
        flows: parseFlows(options.flows),
        canVolume: options.canVolume,
        signal: abort.signal,
        onStep: (step, test, index, total) => {
          const shown = Object.entries(test)
            .filter(([k]) => k !== 'test')
            .map(([k, v]) => `${k} ${String(v)}`)
            .join(', ');
          out.note(`[${index + 1}/${total}] ${step.test}: ${shown}`);
        },
      });
    } else if (kind === 'taximeter' && (options.device || options.auto)) {
      let taximeter: TaximeterDriver | undefined;
      if (options.device) {
        const opening = await openDevice('taximeter', isTaximeterDriver);
        taximeter = opening.device;
        deviceInfo = opening.info;
      }
      if (options.auto && !options.simControl) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          '--auto needs --sim-control URL (printed by `metrogate sim taximeter`)',
          { path: '--sim-control' },
        );
      }
      const variant = instrument.variant === 'installed' ? 'installed' : 'bench';
      delete instrument.variant;
      const plan = taximeterTestPlan(
        entry.ruleSet as Parameters<typeof taximeterTestPlan>[0],
        instrument,
        variant,
      );
      const bench = options.auto
        ? simulatorTaximeterBench(options.simControl!, String(instrument.k ?? '1000'))
        : technicianTaximeterBench(rl!);
      out.note(
        `verifying ${recordInstrument.id} against ${options.ruleSet}, ${stage}: ${plan.steps.length} steps (${variant})`,
      );
      tests = await runGuidedTaximeter({
        bench,
        ...(taximeter ? { driver: taximeter } : {}),
        steps: plan.steps,
        signal: abort.signal,
        onStep: (step, test, index, total) => {
          const shown = Object.entries(test)
            .filter(([k]) => k !== 'test')
            .map(([k, v]) => `${k} ${String(v)}`)
            .join(', ');
          out.note(`[${index + 1}/${total}] ${step.test}: ${shown}`);
        },
      });
    } else {
      const steps = manualSteps(kind, entry.ruleSet, instrument, overrides[options.ruleSet]);
      const answers = options.answers ? answerList(options.answers) : undefined;
      tests = [];
      for (const [index, step] of steps.entries()) {
        const values: Record<string, unknown> = { ...step.preset };
        const given = answers?.[index];
        if (!answers) out.note(`→ [${index + 1}/${steps.length}] ${step.instruction}`);
        for (const field of step.fields) {
          if (given) {
            if (given[field.name] === undefined) {
              throw new MetrogateError(
                'MG_ERR_INPUT_INVALID',
                `${options.answers}: [${index}].${field.name} is missing (${field.label})`,
                {
                  path: `${options.answers}:[${index}].${field.name}`,
                },
              );
            }
            values[field.name] = given[field.name];
          } else {
            values[field.name] = await askDecimal(
              rl!,
              `  ${field.label}${field.unit ? ` (${field.unit})` : ''}: `,
            );
          }
        }
        tests.push(values);
      }
    }

    auditOverrideChange(store.audit, options.ruleSet, overrides[options.ruleSet] ?? {}, operator);
    const record = recordBenchResult(store, {
      ruleSet: options.ruleSet,
      stage,
      instrument,
      tests,
      recordInstrument,
      overrides,
      operator,
      standards: (result) =>
        kind === 'scale' ? usedStandards : relativeStandardsFor(result, standards, today),
      ...(deviceInfo ? { device: deviceInfo } : {}),
      periodMonths: options.periodMonths ? Number(options.periodMonths) : DEFAULT_PERIOD_MONTHS[kind],
    });
    const { result } = record;
    if (options.certificate) {
      writeFileSync(options.certificate, await renderCertificate(record, { language: options.lang }));
    }
    if (out.json) out.jsonLine(record);
    else {
      out.line(resultTable(result));
      out.line(
        `\nrecord ${record.id} stored, hash ${record.hash}${record.validUntil ? `, valid until ${record.validUntil}` : ''}`,
      );
      if (options.certificate)
        out.line(
          `${result.verdict === 'pass' ? 'certificate' : 'notice of rejection'} written to ${options.certificate}`,
        );
    }
    return result.verdict === 'pass' ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    process.off('SIGINT', onSignal);
    rl?.close();
    for (const device of opened) await device.close().catch(() => undefined);
    await busPool.closeAll().catch(() => undefined);
    store?.close();
  }
}

function parseFlows(text: string): Record<string, string> {
  const flows: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]+)=(\d+(?:\.\d+)?)$/.exec(pair);
    if (!match)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `--flows: "${pair}" is not label=L/min`, {
        path: '--flows',
      });
    flows[match[1]!] = match[2]!;
  }
  return flows;
}

interface ManualStep {
  instruction: string;
  preset: Record<string, unknown>;
  fields: { name: string; label: string; unit: string }[];
}

/** The dispenser and taximeter plans as steps of values to enter. */
function manualSteps(
  kind: 'dispenser' | 'taximeter',
  ruleSet: unknown,
  instrument: Record<string, unknown>,
  overrides: Record<string, string> | undefined,
): ManualStep[] {
  if (kind === 'dispenser') {
    return dispenserTestPlan(
      ruleSet as Parameters<typeof dispenserTestPlan>[0],
      instrument,
      overrides,
    ).steps.map((step) => ({
      instruction: step.instruction,
      preset: { ...step.preset },
      fields: step.capture.map((field) => ({ name: field.name, label: field.description, unit: field.unit })),
    }));
  }
  const variant = instrument.variant === 'installed' ? 'installed' : 'bench';
  delete instrument.variant;
  return taximeterTestPlan(ruleSet as Parameters<typeof taximeterTestPlan>[0], instrument, variant).steps.map(
    (step) => ({
      instruction: step.instruction,
      preset: { test: step.test, ...step.given },
      fields: step.capture.map((name) => ({ name, label: name, unit: '' })),
    }),
  );
}

function answerList(file: string): Record<string, unknown>[] {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--answers ${file}: ${(error as Error).message}`, {
      path: file,
    });
  }
  if (!Array.isArray(value))
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--answers ${file}: expected a list, one entry per step`,
      { path: file },
    );
  return value as Record<string, unknown>[];
}
