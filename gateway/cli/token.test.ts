import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../../test/helpers/cli-in-process.js';
import { MetrogateStore } from '../store/store.js';
import { TokenStore } from '../store/tokens.js';
import { registerToken } from './token.js';

/** Runs `metrogate token …` in-process; returns stdout, stderr and the exit code. */
const token = (args: string[]) => runCommandInProcess(registerToken, ['token', ...args]);

describe('metrogate token', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-token-cli-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a token, prints it once, and the store accepts it', async () => {
    const created = await token([
      'create',
      '--role',
      'regulator',
      '--name',
      'city bureau',
      '--data-dir',
      dataDir,
    ]);
    expect(created.code).toBe(0);
    const printed = created.stdout.trim();
    expect(printed).toMatch(/^mgt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/token TK-000001 \(regulator, "city bureau"\).*not shown again/);
    const store = MetrogateStore.open({ dataDir });
    try {
      expect(new TokenStore(store).check(printed)).toMatchObject({ ok: true, token: { role: 'regulator' } });
      expect(store.audit.list()[0]).toMatchObject({ action: 'token.create', subject: 'TK-000001' });
    } finally {
      store.close();
    }
  });

  it('lists tokens without their values, with state, and revokes one', async () => {
    const created = await token([
      'create',
      '--role',
      'admin',
      '--expires',
      '30d',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    const json = JSON.parse(created.stdout);
    expect(json).toMatchObject({
      id: 'TK-000001',
      role: 'admin',
      name: 'admin',
      expiresAt: expect.any(String),
    });
    const list = await token(['list', '--data-dir', dataDir]);
    expect(list.stdout).toMatch(/TK-000001\s+admin\s+admin\s+active/);
    expect(list.stdout).not.toContain(json.token);
    const revoked = await token(['revoke', 'TK-000001', '--actor', 'alice', '--data-dir', dataDir]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/TK-000001 \(admin, "admin"\) revoked at/);
    const after = await token(['list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(after.stdout)).toEqual([
      expect.objectContaining({ id: 'TK-000001', state: 'revoked' }),
    ]);
  });

  it('exits 2 naming the option at fault', async () => {
    const badExpiry = await token([
      'create',
      '--role',
      'admin',
      '--expires',
      'someday',
      '--data-dir',
      dataDir,
    ]);
    expect(badExpiry.code).toBe(2);
    expect(badExpiry.stderr).toMatch(/MG_ERR_INPUT_INVALID: --expires/);
    const badId = await token(['revoke', 'admin', '--data-dir', dataDir]);
    expect(badId.code).toBe(2);
    const unknown = await token(['revoke', 'TK-000009', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/MG_ERR_NOT_FOUND: no token TK-000009/);
    await expect(token(['create', '--role', 'root', '--data-dir', dataDir])).rejects.toThrow(
      /Allowed choices/,
    );
  });
});
