/**
 * The web dashboards end to end, in Debian's chromium: a simulated scale on a pseudo-terminal
 * polled by a real GatewayService, the sample register of Mianyang imported, the API and the
 * dashboards served on a real port. In the browser: log in with an admin token, run a scale
 * verification on the bench page to its verdict (the test is the technician: it reads each prompt
 * off the page, puts that load on the simulated scale, steps the rounding weights and types ΔL),
 * download the certificate, find every district on the coverage page, switch the language.
 * Screenshots are kept in test-artifacts/web/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { Dec } from '../drivers/decimal.js';
import { silentLogger } from '../drivers/logger.js';
import { parseGatewayConfig } from '../gateway/config/gateway-config.js';
import { type HttpServer, serveGateway } from '../gateway/http/server.js';
import { importHistoryFile, importInstrumentsFile } from '../gateway/registry/index.js';
import { GatewayService } from '../gateway/runtime/service.js';
import { TokenStore } from '../gateway/store/tokens.js';
import { type ScaleSimulator, startScaleSimulator } from '../simulators/scale/index.js';
import type { PlatformPosition } from '../simulators/scale/model.js';
import { chromiumMissing, keepScreenshot, launchChromium } from './helpers/web.js';

const SEEDS = new URL('../seeds/sample/', import.meta.url).pathname;
const DISTRICTS = [
  '涪城区',
  '游仙区',
  '安州区',
  '江油市',
  '三台县',
  '盐亭县',
  '梓潼县',
  '北川羌族自治县',
  '平武县',
];
const INSTRUMENT = '510703-S000001';

const missing = chromiumMissing();

describe.skipIf(missing !== undefined)(
  `web dashboards in chromium${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let sim: ScaleSimulator;
    let service: GatewayService;
    let server: HttpServer;
    let dataDir: string;
    let token: string;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      sim = await startScaleSimulator({
        protocol: 'mt-sics',
        transport: 'pty',
        // Settles at once: the test reads the display right after each change, as the driver does.
        params: { max: '15', e: '0.005', d: '0.005', unit: 'kg', settlingMs: 0, seed: 5 },
      });
      if (sim.endpoint.kind !== 'serial') throw new Error('expected the simulator on a pty');
      dataDir = mkdtempSync(join(tmpdir(), 'metrogate-web-e2e-'));
      const loaded = parseGatewayConfig(
        stringifyYaml({
          version: 1,
          gateway: { id: 'web-e2e', region: '涪城区' },
          devices: [
            {
              id: 'bench-1',
              driver: 'scale-mtsics',
              port: sim.endpoint.path,
              ...sim.line,
              instrumentId: INSTRUMENT,
              pollIntervalMs: 200,
            },
          ],
          http: { port: 0, rateLimit: false },
        }),
        'gateway.yaml',
      );
      service = await GatewayService.start(loaded, { dataDir, logger: silentLogger() });
      importInstrumentsFile(service.store, join(SEEDS, 'instruments.csv'), { actor: 'web-e2e' });
      importHistoryFile(service.store, join(SEEDS, 'history.csv'), { actor: 'web-e2e' });
      token = new TokenStore(service.store).create({
        role: 'admin',
        name: 'e2e admin',
        actor: 'web-e2e',
      }).token;
      server = await serveGateway(service, silentLogger());
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
      page = await context.newPage();
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
      await service?.stop(1000);
      await sim?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('logs in with a token and opens the bench with the live reading of the scale', async () => {
      await page.goto(server.url);
      await page.getByLabel(/API token|API 令牌/).fill(token);
      await page.keyboard.press('Enter');
      await page.locator('nav a[data-page="coverage"]').waitFor();
      // An admin sees every page.
      expect(
        await page
          .locator('nav a[data-page]')
          .evaluateAll((links) => links.map((a) => a.getAttribute('data-page'))),
      ).toEqual(['bench', 'fleet', 'coverage', 'registry', 'records']);
      sim.model.setLoad('1.25');
      await page
        .locator('main[data-page="bench"] .live-value[data-quality="good"] .big-number', { hasText: '1.250' })
        .waitFor();
      await keepScreenshot(page, 'bench-setup');
    }, 60_000);

    it('runs a scale verification on the bench page to its verdict and downloads the certificate', async () => {
      await page.locator('#instrumentId').fill(INSTRUMENT);
      await page.locator('#accuracyClass').selectOption('III');
      await page.locator('#max').fill('15');
      await page.locator('#e').fill('0.005');
      await page.locator('#unit').selectOption('kg');
      expect(await page.locator('input[type="checkbox"]').first().isChecked()).toBe(true);
      sim.model.setLoad('0');
      const started = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith('/api/sessions'),
      );
      await page.locator('form button[type="submit"]').click();
      expect((await started).status()).toBe(201);

      let load = new Dec(0);
      let position: PlatformPosition = 'center';
      const session = page.locator('section.session');
      const seen = new Set<string>();
      for (let turn = 0; turn < 200; turn++) {
        await session.waitFor();
        const state = await session.getAttribute('data-state');
        if (state === 'completed') break;
        if (state === 'failed')
          throw new Error(`the session failed: ${await page.locator('.prompt .error').textContent()}`);
        const prompt = page.locator('.prompt .instruction');
        seen.add(state ?? '');
        // Each answer of the page's own request is awaited from before the action (it may be quick).
        const answered = (path: string) =>
          page.waitForResponse(
            (r) =>
              r.request().method() === 'POST' && r.url().includes('/api/sessions/') && r.url().endsWith(path),
          );
        let answer: Promise<Response>;
        if (state === 'awaiting-load') {
          load = new Dec((await prompt.getAttribute('data-load')) || '0');
          position = ((await prompt.getAttribute('data-position')) || 'center') as PlatformPosition;
          sim.model.setLoad(load.toFixed(), position);
          answer = answered('/capture');
          await page.locator('.prompt button.primary').click();
        } else if (state === 'awaiting-extra-load') {
          load = load.plus((await prompt.getAttribute('data-extra')) || '0');
          sim.model.setLoad(load.toFixed(), position);
          answer = answered('/capture');
          await page.locator('.prompt button.primary').click();
        } else if (state === 'awaiting-rounding-load') {
          // Rounding weights one at a time until the display steps up (metrogate verify does the same).
          const shown = new Dec((await prompt.getAttribute('data-indication')) || '0');
          const weight = new Dec((await prompt.getAttribute('data-rounding-weight')) || '0');
          expect(weight.isZero()).toBe(false);
          let extra = new Dec(0);
          do {
            extra = extra.plus(weight);
            sim.model.setLoad(load.plus(extra).toFixed(), position);
          } while (
            !new Dec(sim.model.indication().net).greaterThan(shown) &&
            extra.lessThan(weight.times(20))
          );
          load = load.plus(extra);
          // By keyboard: the focus is already in the ΔL field.
          await page.locator('#delta:focus').waitFor();
          await page.keyboard.type(extra.toFixed());
          answer = answered('/reference');
          await page.keyboard.press('Enter');
        } else if (state === 'ready') {
          answer = answered('/complete');
          await page.locator('.prompt button.primary').click();
        } else {
          await page.waitForTimeout(50);
          continue;
        }
        // The page shows the state its request was answered with before the next turn reads it.
        const response = await answer;
        expect(response.status(), await response.text()).toBe(200);
        const body = (await response.json()) as {
          state?: string;
          step?: number;
          session?: { state: string; step: number };
        };
        const next = body.session ?? body;
        await page.locator(`section.session[data-state="${next.state}"][data-step="${next.step}"]`).waitFor();
        if (turn === 6) await keepScreenshot(page, 'bench-steps');
      }
      expect(seen).toContain('awaiting-load');
      expect(seen).toContain('awaiting-rounding-load');

      const verdict = page.locator('.verdict[data-verdict]');
      await verdict.waitFor();
      // A simulated scale without span error or noise passes.
      expect(await verdict.getAttribute('data-verdict')).toBe('pass');
      // Each captured test point's error is drawn against its MPE, and listed.
      expect(await page.locator('.error-chart circle.dot').count()).toBeGreaterThan(3);
      expect(await page.locator('.error-chart circle.dot.fail').count()).toBe(0);
      await keepScreenshot(page, 'bench-verdict');

      const downloading = page.waitForEvent('download');
      await page.locator('[data-testid="certificate-download"]').click();
      const download = await downloading;
      expect(download.suggestedFilename()).toMatch(/^VR-\d+(-certificate)?\.pdf$/);
      const pdf = readFileSync((await download.path()) ?? '');
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(1000);
    }, 120_000);

    it('shows every district of the register on the coverage page, in both languages', async () => {
      await page.locator('nav a[data-page="coverage"]').click();
      const table = page.locator('table.coverage');
      await table.waitFor();
      for (const district of DISTRICTS) {
        await expect(table.locator(`tbody[data-region="${district}"] th.region`).textContent()).resolves.toBe(
          district,
        );
      }
      expect(await page.locator('.rate-target').count()).toBeGreaterThanOrEqual(DISTRICTS.length * 2);
      await page.locator('.trend .u-over, .trend canvas').first().waitFor();
      await page.locator('h2#overdue-title').waitFor();
      // The recall list exports as the CLI writes it.
      const exporting = page.waitForEvent('download');
      await page.locator('[data-testid="overdue-csv"]').click();
      const csv = readFileSync((await (await exporting).path()) ?? '', 'utf8');
      const [header, ...lines] = csv.trim().split('\n');
      expect(header).toBe('instrument,region,kind,owner,site,due_date,days_overdue,last_verified');
      expect(lines.length).toBeGreaterThan(0);
      expect(DISTRICTS).toContain(lines[0]?.split(',')[1]);

      const lang = await page.locator('html').getAttribute('lang');
      await keepScreenshot(page, `coverage-${lang}`);
      const heading = await page.locator('h1').textContent();
      await page.locator('button.lang-switch').click();
      const other = await page.locator('html').getAttribute('lang');
      expect(other).not.toBe(lang);
      expect(await page.locator('h1').textContent()).not.toBe(heading);
      expect(await page.locator('nav a[data-page="coverage"]').textContent()).toBe(
        other === 'en' ? 'Coverage' : '受检覆盖',
      );
      await keepScreenshot(page, `coverage-${other}`);

      // Remembered over a reload, and the districts are still all there.
      await page.reload();
      await page.locator('table.coverage').waitFor();
      expect(await page.locator('html').getAttribute('lang')).toBe(other);
      expect(await page.locator('table.coverage tbody[data-region]').count()).toBe(DISTRICTS.length);

      // A tablet held upright reads the same page.
      await page.setViewportSize({ width: 820, height: 1180 });
      await keepScreenshot(page, 'coverage-tablet');
      await page.setViewportSize({ width: 1366, height: 900 });
    }, 60_000);

    it('lists the record with an intact chain, and the device on the fleet page', async () => {
      await page.locator('nav a[data-page="records"]').click();
      await page.locator('a', { hasText: 'VR-000001' }).click();
      const record = page.locator('article.record[data-record="VR-000001"]');
      await record.waitFor();
      expect(await record.textContent()).toContain(INSTRUMENT);
      await page.getByRole('button', { name: /Check the chain|校验哈希链/ }).click();
      await page.locator('.panel.chain[data-intact="true"]').waitFor();
      await keepScreenshot(page, 'records');
      await page.locator('nav a[data-page="registry"]').click();
      await page.locator('main[data-page="registry"] table tbody tr', { hasText: INSTRUMENT }).waitFor();
      await page.locator('nav a[data-page="fleet"]').click();
      const device = page.locator('tr', { hasText: 'bench-1' });
      await device.waitFor();
      // Its sparkline fills from the recent readings and the live stream.
      await device.locator('svg.spark polyline').waitFor();
      await keepScreenshot(page, 'fleet');
    }, 60_000);

    it('opens only the pages a technician or a regulator token may read', async () => {
      const tokens = new TokenStore(service.store);
      for (const [role, pages] of [
        ['technician', ['bench', 'fleet', 'registry', 'records']],
        ['regulator', ['coverage', 'registry', 'records']],
      ] as const) {
        const other = await browser.newContext();
        try {
          const tab = await other.newPage();
          await tab.goto(server.url);
          const roleToken = tokens.create({ role, name: `e2e ${role}`, actor: 'web-e2e' }).token;
          await tab.locator('#token').fill(roleToken);
          await tab.locator('form button[type="submit"]').click();
          await tab.locator(`main[data-page="${pages[0]}"] h1`).waitFor();
          const shown = await tab
            .locator('nav a[data-page]')
            .evaluateAll((links) => links.map((a) => a.getAttribute('data-page')));
          expect(shown, role).toEqual(pages);
          // A page the role may not read says so instead of failing on the API.
          await tab.goto(`${server.url}/#/${role === 'regulator' ? 'bench' : 'coverage'}`);
          await tab.locator('[data-testid="forbidden"]').waitFor();
        } finally {
          await other.close();
        }
      }
    }, 60_000);
  },
);
