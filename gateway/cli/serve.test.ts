import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { runCommandInProcess } from '../../test/helpers/cli-in-process.js';
import { MetrogateStore } from '../store/store.js';
import { TokenStore } from '../store/tokens.js';
import { registerServe } from './serve.js';

/**
 * Runs `metrogate serve …` in-process; `whileRunning` gets the URL the command printed and runs
 * while the server is up (the command stops after its --duration).
 */
function serve(args: string[], whileRunning?: (url: string) => Promise<void>) {
  return runCommandInProcess(
    registerServe,
    ['serve', ...args],
    whileRunning &&
      (async (output) => {
        let url: string | undefined;
        for (let i = 0; i < 200 && !url; i++) {
          url = /API on (http:\/\/\S+) /.exec(output.stderr())?.[1];
          if (!url) await new Promise((resolve) => setTimeout(resolve, 25));
        }
        if (!url) throw new Error(`serve printed no URL: ${output.stderr()}`);
        await whileRunning(url);
      }),
  );
}

describe('metrogate serve', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'metrogate-serve-cli-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the data directory's records with the config's http section, and stops after --duration", async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const store = MetrogateStore.open({ dataDir });
    const token = new TokenStore(store).create({ role: 'regulator', actor: 'test' }).token;
    store.close();
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      stringifyYaml({
        version: 1,
        gateway: { id: 'office' },
        devices: [],
        http: { port: 8080, publicMetrics: true, rateLimit: { max: 2, timeWindowMs: 60_000 } },
      }),
    );
    const seen: Record<string, number> = {};
    const result = await serve(
      ['-c', config, '--data-dir', dataDir, '--http-port', '0', '--duration', '1.5'],
      async (url) => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(url).not.toContain(':8080');
        const records = await fetch(`${url}/api/records`, { headers: { authorization: `Bearer ${token}` } });
        seen.records = records.status;
        expect(await records.json()).toEqual({ total: 0, records: [] });
        // publicMetrics from the config: no token needed.
        seen.metrics = (await fetch(`${url}/metrics`)).status;
        // The config's rate limit (2 per minute) applies.
        seen.limited = (await fetch(`${url}/api/health`)).status;
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(seen).toEqual({ records: 200, metrics: 200, limited: 429 });
    expect(result.stderr).toContain(`data in ${dataDir}`);
  });

  it('exits 2 naming the flag or the config path at fault', async () => {
    const badPort = await serve(['--data-dir', join(dir, 'data'), '--http-port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--http-port');
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      stringifyYaml({ version: 1, gateway: { id: 'x' }, devices: [], http: { port: 70_000 } }),
    );
    const badConfig = await serve(['-c', config, '--data-dir', join(dir, 'data')]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('http.port');
  });
});
