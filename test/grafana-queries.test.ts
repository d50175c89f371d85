/**
 * The Grafana dashboards (dashboards/grafana/) against a real influxd holding what a gateway writes.
 *
 * Grafana itself is not needed: the test does what Grafana's InfluxDB data source does with a raw
 * InfluxQL target — replaces $timeFilter, $__interval, $__interval_ms and the template variables
 * (a multi-value variable becomes a regex-escaped `(a|b)` group, "All" its custom all value) — and
 * sends the query to influxd's /query. Each query runs under three selections of the variables:
 * "All", every value listed (what a user ticking each value gets), and the first value of each
 * (the variables resolved in order through their own SHOW TAG VALUES queries, as Grafana chains
 * them). Every query must return rows, every column must hold a value somewhere, and no series may
 * carry an empty tag (a GROUP BY on a tag that does not exist). Before that, a static pass checks
 * every measurement, tag and field a query names against MEASUREMENT_SCHEMAS, so that a query on a
 * name nothing writes fails even where a regex would have matched everything.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MEASUREMENT_SCHEMAS } from '../gateway/sinks/points.js';
import {
  coveragePointFromRow,
  fillInflux,
  GATEWAY_HEALTH_EXTRAS,
  MIANYANG_DISTRICTS,
  SEED_DEVICE_IDS,
  type SeededInflux,
} from './helpers/grafana-fill.js';
import { type Influxd, type InfluxQueryResult, startInfluxd } from './helpers/influxd.js';

const GRAFANA_DIR = new URL('../dashboards/grafana/', import.meta.url);
const DASHBOARD_FILES = ['coverage.json', 'fleet-health.json', 'verification-outcomes.json'] as const;
const DATASOURCE_UID = 'metrogate-influx';
const DATABASE = 'metrogate';
/** Where the README has the regulator copy dashboards/grafana/ (the provider's `path`). */
const INSTALL_DIR = '/var/lib/grafana/dashboards/metrogate';
/** The coverage target the rate panels draw (city plans: 90 %). */
const TARGET = 0.9;
/** $timeFilter for a relative range, as Grafana writes it for "Last 30 days". */
const TIME_FILTER = 'time >= now() - 30d';
const DEFAULT_INTERVAL = '1h';

interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
  query?: string;
  rawQuery?: boolean;
  resultFormat?: string;
  alias?: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  interval?: string;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: {
    defaults?: { unit?: string; thresholds?: { steps: { color: string; value: number | null }[] } };
  };
}

interface Variable {
  name: string;
  type: string;
  datasource?: { uid?: string };
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

function grafanaFile(name: string): URL {
  return new URL(name, GRAFANA_DIR);
}

function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(grafanaFile(file), 'utf8')) as Dashboard;
}

const dashboards = DASHBOARD_FILES.map((file) => ({ file, dashboard: loadDashboard(file) }));

/** Panels, including those inside collapsed rows. */
function panelsOf(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

// ---- names: what the gateway writes -------------------------------------------------------------

/** Tags and fields per measurement: MEASUREMENT_SCHEMAS plus the health counters the service adds. */
function writtenSchema(): Record<string, { tags: Set<string>; fields: Set<string> }> {
  const schema: Record<string, { tags: Set<string>; fields: Set<string> }> = {};
  for (const [measurement, { tags, fields }] of Object.entries(MEASUREMENT_SCHEMAS)) {
    schema[measurement] = { tags: new Set(tags), fields: new Set(Object.keys(fields)) };
  }
  for (const extra of GATEWAY_HEALTH_EXTRAS) schema.gateway!.fields.add(extra);
  return schema;
}

const SCHEMA = writtenSchema();

/** GROUP BY items of every GROUP BY clause (subqueries included), as written. */
function groupByClauses(query: string): string[][] {
  const clauses: string[][] = [];
  for (const match of query.matchAll(/\bGROUP BY\s+/gi)) {
    let rest = query.slice(match.index + match[0].length);
    const items: string[] = [];
    for (;;) {
      const item = /^(time\([^)]*\)|"[^"]+"|[^\s,)]+)\s*/.exec(rest);
      if (!item) break;
      items.push(item[1]!);
      rest = rest.slice(item[0].length);
      if (!rest.startsWith(',')) break;
      rest = rest.slice(1).trimStart();
    }
    clauses.push(items);
  }
  return clauses;
}

const unquote = (identifier: string) => identifier.slice(1, -1);

/**
 * What is wrong with the names a query uses: measurements that nothing writes, quoted identifiers
 * that are neither a tag or field of the measurements it reads nor one of its own aliases, GROUP BY
 * on something that is not a tag, unquoted identifiers (they would escape this check), and
 * `$tag_x` aliases that name a tag the query does not group by.
 */
function nameProblems(query: string, alias?: string): string[] {
  const problems: string[] = [];
  const measurements = [...query.matchAll(/\bFROM\s+"([^"]+)"/gi)].map((m) => m[1]!);
  if (measurements.length === 0) problems.push('reads no quoted measurement');
  const known = measurements.filter((name) => SCHEMA[name] !== undefined);
  for (const name of measurements) {
    if (!SCHEMA[name]) problems.push(`measurement "${name}" is not written by the gateway`);
  }
  const tags = new Set(known.flatMap((name) => [...SCHEMA[name]!.tags]));
  const fields = new Set(known.flatMap((name) => [...SCHEMA[name]!.fields]));
  const aliases = new Set([...query.matchAll(/\bAS\s+"([^"]+)"/gi)].map((m) => m[1]!));
  for (const match of query.matchAll(/"([^"]+)"/g)) {
    const name = match[1]!;
    if (measurements.includes(name) || aliases.has(name) || tags.has(name) || fields.has(name)) continue;
    problems.push(`"${name}" is no tag or field of ${measurements.join(', ')}`);
  }
  for (const call of query.matchAll(/\b([a-z_]+)\(\s*(?!"|[a-z_]+\()([^)]*)\)/gi)) {
    const fn = call[1]!.toLowerCase();
    if (fn === 'time' || fn === 'fill' || fn === 'now') continue;
    problems.push(`${call[0]}: function arguments must be quoted fields`);
  }
  const groupedTags = new Set<string>();
  for (const clause of groupByClauses(query)) {
    for (const item of clause) {
      if (/^time\(/i.test(item)) continue;
      if (!item.startsWith('"')) problems.push(`GROUP BY ${item}: quote tag names`);
      else if (!tags.has(unquote(item)))
        problems.push(`GROUP BY ${item}: not a tag of ${measurements.join(', ')}`);
      else groupedTags.add(unquote(item));
    }
  }
  for (const match of (alias ?? '').matchAll(/\$tag_(\w+)/g)) {
    if (!groupedTags.has(match[1]!))
      problems.push(`alias ${alias} names $tag_${match[1]} but the query does not group by it`);
  }
  return problems;
}

// ---- Grafana's interpolation for InfluxQL ------------------------------------------------------

/** Grafana's regex escaping of a variable value for InfluxDB (`/` too: it delimits the regex). */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

type Selection = 'all' | 'every value' | 'first value';
const SELECTIONS: readonly Selection[] = ['all', 'every value', 'first value'];

function durationMs(interval: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(interval);
  if (!match) throw new Error(`interval ${interval} is not a Grafana duration`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2]!]!;
  return Number(match[1]) * unit;
}

/** The text Grafana puts in a query for a variable: a regex fragment, or the custom all value. */
function variableText(variable: Variable, selection: Selection, values: readonly string[]): string {
  const multi = variable.multi === true || variable.includeAll === true;
  if (selection === 'all' && variable.includeAll && variable.allValue) return variable.allValue;
  const chosen = selection === 'first value' ? values.slice(0, 1) : values;
  if (chosen.length === 0) throw new Error(`variable ${variable.name} has no values to select`);
  if (!multi) return chosen[0]!;
  const escaped = chosen.map(escapeRegex);
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

/** Replaces Grafana's macros and the dashboard's variables; a `$name` nobody defines is an error. */
function interpolate(query: string, variables: ReadonlyMap<string, string>, interval: string): string {
  const macros = new Map<string, string>([
    ['timeFilter', TIME_FILTER],
    ['__interval_ms', String(durationMs(interval))],
    ['__interval', interval],
    ['interval', interval],
    ['__range_s', String(30 * 86_400)],
  ]);
  return query.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, braced, bracketed, plain) => {
    const name = (braced ?? bracketed ?? plain) as string;
    const value = macros.get(name) ?? variables.get(name);
    if (value === undefined)
      throw new Error(`${whole} is neither a Grafana macro nor a variable of the dashboard`);
    return value;
  });
}

function tagValuesOf(result: InfluxQueryResult): string[] {
  return (result.series ?? []).flatMap((series) => series.values.map((row) => String(row[1])));
}

/** Rows, values in every column, no empty tags: what "the panel shows data" means here. */
function resultProblems(result: InfluxQueryResult): string[] {
  const series = result.series ?? [];
  if (series.length === 0) return ['no rows'];
  const problems: string[] = [];
  const columnsWithValue = new Set<string>();
  const columns = new Set<string>();
  for (const one of series) {
    for (const [tag, value] of Object.entries(one.tags ?? {})) {
      if (value === '') problems.push(`series with an empty tag ${tag} (GROUP BY a tag that is not there)`);
    }
    one.columns.forEach((column, index) => {
      if (column === 'time') return;
      columns.add(column);
      if (one.values.some((row) => row[index] !== null && row[index] !== undefined))
        columnsWithValue.add(column);
    });
  }
  for (const column of columns) {
    if (!columnsWithValue.has(column)) problems.push(`column ${column} is null in every row`);
  }
  return [...new Set(problems)];
}

// ---- static checks -----------------------------------------------------------------------------

describe('Grafana dashboards: structure', () => {
  it('are dashboards with unique uids, a recent schema and the nine districts nowhere hard-coded', () => {
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.uid, file).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(36);
      const text = readFileSync(grafanaFile(file), 'utf8');
      for (const district of MIANYANG_DISTRICTS)
        expect(text, `${file} names ${district}`).not.toContain(district);
    }
  });

  it.each(DASHBOARD_FILES)('%s: every panel queries the metrogate data source with raw InfluxQL', (file) => {
    const dashboard = loadDashboard(file);
    const panels = panelsOf(dashboard);
    expect(panels.length).toBeGreaterThan(5);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size, `${file} panel ids ${ids.join(',')}`).toBe(ids.length);
    for (const panel of panels) {
      const where = `${file} panel ${panel.id} "${panel.title}"`;
      expect(panel.datasource?.uid, where).toBe(DATASOURCE_UID);
      expect(panel.datasource?.type, where).toBe('influxdb');
      expect(panel.targets?.length, where).toBeGreaterThan(0);
      const refIds = panel.targets!.map((target) => target.refId);
      expect(new Set(refIds).size, where).toBe(refIds.length);
      for (const target of panel.targets!) {
        expect(target.datasource?.uid, `${where} ${target.refId}`).toBe(DATASOURCE_UID);
        expect(target.rawQuery, `${where} ${target.refId}`).toBe(true);
        expect(target.query?.trim(), `${where} ${target.refId}`).toMatch(/^SELECT /);
      }
      const { x, y, w, h } = panel.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${where} gridPos`).toBe(true);
    }
    for (const [i, a] of panels.entries()) {
      for (const b of panels.slice(i + 1)) {
        const overlap =
          a.gridPos.x < b.gridPos.x + b.gridPos.w &&
          b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h &&
          b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${file}: panels ${a.id} and ${b.id} overlap`).toBe(false);
      }
    }
    for (const variable of dashboard.templating.list) {
      expect(variable.type, `${file} $${variable.name}`).toBe('query');
      expect(variable.datasource?.uid, `${file} $${variable.name}`).toBe(DATASOURCE_UID);
      expect(variable.query, `${file} $${variable.name}`).toMatch(
        /^SHOW TAG VALUES FROM "\w+" WITH KEY = "\w+"/,
      );
    }
  });

  it.each(DASHBOARD_FILES)('%s: names only measurements, tags and fields the gateway writes', (file) => {
    const dashboard = loadDashboard(file);
    const problems: string[] = [];
    const multiVariables = dashboard.templating.list
      .filter((v) => v.multi || v.includeAll)
      .map((v) => v.name);
    const check = (where: string, query: string, alias?: string) => {
      for (const problem of nameProblems(query, alias)) problems.push(`${where}: ${problem}`);
      // A multi-value variable is a regex fragment: it only works inside =~ /^…$/.
      for (const name of multiVariables) {
        const uses = query.match(new RegExp(`\\$\\{?${name}\\b`, 'g'))?.length ?? 0;
        const regexUses = query.match(new RegExp(`=~ /\\^\\$${name}\\$/`, 'g'))?.length ?? 0;
        if (uses !== regexUses) problems.push(`${where}: $${name} is used outside =~ /^$${name}$/`);
      }
    };
    for (const panel of panelsOf(dashboard)) {
      for (const target of panel.targets ?? []) {
        check(`panel ${panel.id} ${target.refId}`, target.query ?? '', target.alias);
      }
    }
    for (const variable of dashboard.templating.list) {
      const key = /WITH KEY = "(\w+)"/.exec(variable.query)?.[1] ?? '';
      const measurement = /FROM "(\w+)"/.exec(variable.query)?.[1] ?? '';
      if (!SCHEMA[measurement]?.tags.has(key))
        problems.push(`$${variable.name}: ${key} is no tag of ${measurement}`);
      check(`$${variable.name}`, variable.query);
    }
    expect(problems).toEqual([]);
  });

  it('the name check refuses what the gateway does not write', () => {
    expect(nameProblems('SELECT last("inspection_rate") FROM "coverage" GROUP BY "region"')).toEqual([]);
    expect(nameProblems('SELECT last("inspectionRate") FROM "coverage"')).toEqual([
      '"inspectionRate" is no tag or field of coverage',
    ]);
    expect(nameProblems('SELECT last("due") FROM "coverages"').length).toBeGreaterThan(0);
    expect(nameProblems('SELECT last("due") FROM "coverage" GROUP BY "due"')).toEqual([
      'GROUP BY "due": not a tag of coverage',
    ]);
    expect(nameProblems('SELECT last(due) FROM "coverage"')).toEqual([
      'last(due): function arguments must be quoted fields',
    ]);
    expect(nameProblems('SELECT last("due") FROM "coverage" GROUP BY "kind"', '$tag_region')).toEqual([
      'alias $tag_region names $tag_region but the query does not group by it',
    ]);
  });

  it('the gateway still writes the health counters the fleet dashboard reads beyond gatewayPoint', () => {
    const service = readFileSync(new URL('../gateway/runtime/service.ts', import.meta.url), 'utf8');
    const health = /writeHealth\(\)[\s\S]*?extra:\s*\{([\s\S]*?)\}/.exec(service)?.[1] ?? '';
    for (const extra of GATEWAY_HEALTH_EXTRAS) expect(health, extra).toMatch(new RegExp(`\\b${extra}:`));
  });

  it('the seeded coverage points use exactly the coverage schema', () => {
    const point = coveragePointFromRow(
      {
        region: '江油市',
        kind: 'scale',
        inUse: 120,
        due: 100,
        inspected: 93,
        inspectionRate: '0.93',
        valid: 110,
        validRate: '0.9167',
        overdue: 7,
        passRate: '0.97',
      },
      new Date(),
    );
    const kinds = Object.fromEntries(
      Object.entries(point.fields).map(([name, value]) => [name, Object.keys(value)[0]]),
    );
    expect(kinds).toEqual(MEASUREMENT_SCHEMAS.coverage.fields);
    expect(Object.keys(point.tags).sort()).toEqual([...MEASUREMENT_SCHEMAS.coverage.tags].sort());
  });

  it('draws the coverage target on every inspection-rate and valid-rate panel', () => {
    const coverage = loadDashboard('coverage.json');
    const ratePanels = panelsOf(coverage).filter((panel) => /受检率|有效率/.test(panel.title));
    expect(ratePanels.length).toBeGreaterThanOrEqual(6);
    for (const panel of ratePanels) {
      const defaults = panel.fieldConfig?.defaults;
      expect(defaults?.unit, panel.title).toBe('percentunit');
      const steps = defaults?.thresholds?.steps ?? [];
      expect(
        steps.map((step) => step.value),
        panel.title,
      ).toEqual([null, TARGET]);
    }
    // The README changes the target by rewriting every green step with a value: those must be the
    // target lines, all of them.
    const greenSteps: unknown[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const record = node as Record<string, unknown>;
        if (record.color === 'green' && record.value !== null && record.value !== undefined) {
          greenSteps.push(record.value);
        }
        Object.values(record).forEach(walk);
      }
    };
    walk(coverage);
    expect(greenSteps.length).toBeGreaterThan(ratePanels.length);
    expect(new Set(greenSteps)).toEqual(new Set([TARGET]));
    const readme = readFileSync(grafanaFile('README.md'), 'utf8');
    expect(readme).toContain(`.value == ${TARGET}`);
  });

  it('provisioning points at the metrogate data source and at the folder holding the dashboards', () => {
    const datasources = parseYaml(
      readFileSync(grafanaFile('provisioning/datasources/metrogate.yaml'), 'utf8'),
    ) as { datasources: Record<string, unknown>[] };
    const source = datasources.datasources.find((entry) => entry.uid === DATASOURCE_UID);
    expect(source).toMatchObject({
      type: 'influxdb',
      access: 'proxy',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${ENV} syntax, not a template
      url: '${METROGATE_INFLUX_URL}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: as above
      jsonData: { version: 'InfluxQL', dbName: '${METROGATE_INFLUX_DB}' },
    });

    // Grafana expands ${NAME} with no default syntax: the env file supplies every one, defaults included.
    const datasourceText = readFileSync(grafanaFile('provisioning/datasources/metrogate.yaml'), 'utf8');
    const settings = datasourceText
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    const used = new Set([...settings.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThanOrEqual(2);
    const env = Object.fromEntries(
      readFileSync(grafanaFile('provisioning/metrogate.env'), 'utf8')
        .split('\n')
        .filter((line) => /^\w+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    for (const name of used) expect(Object.keys(env), name).toContain(name);
    expect(env.METROGATE_INFLUX_URL).toBe('http://localhost:8086');
    expect(env.METROGATE_INFLUX_DB).toBe(DATABASE);

    const providers = parseYaml(
      readFileSync(grafanaFile('provisioning/dashboards/metrogate.yaml'), 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers).toHaveLength(1);
    const provider = providers.providers[0]!;
    expect(provider.type).toBe('file');
    expect(provider.options.path).toBe(INSTALL_DIR);
    // The folder installed there is dashboards/grafana/: it must hold exactly the dashboards.
    const jsonFiles = readdirSync(GRAFANA_DIR).filter((name) => name.endsWith('.json'));
    expect(jsonFiles.sort()).toEqual([...DASHBOARD_FILES].sort());
    for (const file of DASHBOARD_FILES) expect(existsSync(grafanaFile(file)), file).toBe(true);
    const readme = readFileSync(grafanaFile('README.md'), 'utf8');
    expect(readme).toContain(INSTALL_DIR);
    expect(readme).toContain('provisioning/datasources/metrogate.yaml');
    expect(readme).toContain('provisioning/dashboards/metrogate.yaml');
    for (const file of DASHBOARD_FILES) expect(readme).toContain(file);
  });
});

// ---- every query against influxd ---------------------------------------------------------------

describe('Grafana dashboards: every query against influxd with seeded gateway data', () => {
  let influxd: Influxd;
  let seeded: SeededInflux;

  beforeAll(async () => {
    influxd = await startInfluxd();
    seeded = await fillInflux(influxd.baseUrl, DATABASE, { now: new Date() });
    expect(seeded.verifications).toBe(MIANYANG_DISTRICTS.length * 3 * 3);
    expect(seeded.coverage).toHaveLength(MIANYANG_DISTRICTS.length * 3 * 14);
  }, 60_000);

  /** The first value of panel `id`'s target `refId` with every variable on "All". */
  async function panelValue(file: string, id: number, refId = 'A', column = 1): Promise<unknown> {
    const dashboard = loadDashboard(file);
    const panel = panelsOf(dashboard).find((one) => one.id === id);
    const target = panel?.targets?.find((one) => one.refId === refId);
    if (!panel || !target?.query) throw new Error(`${file} has no panel ${id} with a target ${refId}`);
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v.allValue ?? '.*']));
    const query = interpolate(target.query, variables, panel.interval ?? DEFAULT_INTERVAL);
    return (await influxd.query(query, DATABASE)).series?.[0]?.values[0]?.[column];
  }

  it('the coverage stats are sums of counts over districts × kinds, not averages of rates', async () => {
    const latestAt = Math.max(...seeded.coverage.map(({ at }) => at.getTime()));
    const latest = seeded.coverage.filter(({ at }) => at.getTime() === latestAt).map(({ row }) => row);
    expect(latest).toHaveLength(MIANYANG_DISTRICTS.length * 3);
    const sum = (pick: (row: (typeof latest)[number]) => number) =>
      latest.reduce((total, row) => total + pick(row), 0);
    expect(await panelValue('coverage.json', 1)).toBeCloseTo(sum((r) => r.inspected) / sum((r) => r.due), 12);
    expect(await panelValue('coverage.json', 2)).toBeCloseTo(sum((r) => r.valid) / sum((r) => r.inUse), 12);
    expect(await panelValue('coverage.json', 3)).toBe(sum((r) => r.overdue));
    expect(await panelValue('coverage.json', 4, 'A', 1)).toBe(sum((r) => r.inUse));
    expect(await panelValue('coverage.json', 4, 'A', 2)).toBe(sum((r) => r.due));
  });

  it('the fleet stats read the latest health point', async () => {
    // Columns: time, online, offline, demoted, configured.
    expect(await panelValue('fleet-health.json', 1, 'A', 4)).toBe(SEED_DEVICE_IDS.length);
    expect(await panelValue('fleet-health.json', 1, 'A', 1)).toBe(SEED_DEVICE_IDS.length);
    const devices = tagValuesOf(
      await influxd.query('SHOW TAG VALUES FROM "reading" WITH KEY = "device"', DATABASE),
    );
    expect(devices.sort()).toEqual([...SEED_DEVICE_IDS].sort());
  });

  it('the verification stats count records, failures and failing instruments', async () => {
    const districtsByKinds = MIANYANG_DISTRICTS.length * 3;
    expect(await panelValue('verification-outcomes.json', 1)).toBe(seeded.verifications);
    expect(await panelValue('verification-outcomes.json', 2)).toBe(districtsByKinds);
    expect(await panelValue('verification-outcomes.json', 3)).toBe(districtsByKinds);
    expect(await panelValue('verification-outcomes.json', 4)).toBeGreaterThan(1);
  });

  afterAll(async () => {
    await influxd?.stop();
  });

  it('holds the fields of MEASUREMENT_SCHEMAS with their types, and the nine districts', async () => {
    const keys = await influxd.query('SHOW FIELD KEYS', DATABASE);
    for (const [measurement, schema] of Object.entries(MEASUREMENT_SCHEMAS)) {
      const series = keys.series?.find((one) => one.name === measurement);
      const stored = Object.fromEntries((series?.values ?? []).map(([name, type]) => [name, type]));
      for (const [field, kind] of Object.entries(schema.fields))
        expect(stored[field], `${measurement}.${field}`).toBe(kind);
    }
    const regions = tagValuesOf(
      await influxd.query('SHOW TAG VALUES FROM "coverage" WITH KEY = "region"', DATABASE),
    );
    expect(regions.sort()).toEqual([...MIANYANG_DISTRICTS].sort());
  });

  for (const { file } of dashboards) {
    for (const selection of SELECTIONS) {
      it(`${file}: every variable and panel query returns data with ${selection} selected`, async () => {
        const dashboard = loadDashboard(file);
        const problems: string[] = [];
        const variables = new Map<string, string>();
        for (const variable of dashboard.templating.list) {
          const query = interpolate(variable.query, variables, DEFAULT_INTERVAL);
          const values = tagValuesOf(await influxd.query(query, DATABASE));
          if (values.length === 0) problems.push(`$${variable.name}: ${query} has no values`);
          variables.set(variable.name, variableText(variable, selection, values.length > 0 ? values : ['']));
        }
        let queries = 0;
        for (const panel of panelsOf(dashboard)) {
          for (const target of panel.targets ?? []) {
            const query = interpolate(target.query ?? '', variables, panel.interval ?? DEFAULT_INTERVAL);
            const where = `panel ${panel.id} "${panel.title}" ${target.refId}: ${query}`;
            queries += 1;
            try {
              for (const problem of resultProblems(await influxd.query(query, DATABASE))) {
                problems.push(`${where} → ${problem}`);
              }
            } catch (error) {
              problems.push(`${where} → ${(error as Error).message}`);
            }
          }
        }
        expect(queries).toBeGreaterThan(5);
        expect(problems).toEqual([]);
      });
    }
  }

  it('a query on a name nothing writes, or a wrongly grouped tag, does not pass as data', async () => {
    const run = async (query: string) => resultProblems(await influxd.query(query, DATABASE));
    expect(
      await run(`SELECT last("inspection_rate") FROM "coverage" WHERE ${TIME_FILTER} GROUP BY "region"`),
    ).toEqual([]);
    expect(await run(`SELECT last("inspectionRate") FROM "coverage" WHERE ${TIME_FILTER}`)).toEqual([
      'no rows',
    ]);
    expect(
      await run(`SELECT last("due") FROM "coverage" WHERE ${TIME_FILTER} GROUP BY "district"`),
    ).toContain('series with an empty tag district (GROUP BY a tag that is not there)');
    expect(
      await run(
        `SELECT last("due") AS "due", "in_use_count" FROM "coverage" WHERE ${TIME_FILTER} GROUP BY "region"`,
      ),
    ).toEqual(['column in_use_count is null in every row']);
  });
});
