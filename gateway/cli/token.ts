/**
 * `metrogate token`: access tokens of the HTTP API. `create` prints the token once (only its
 * SHA-256 is stored); `list` shows every token with its role and state; `revoke` ends one from the
 * next request on. Creation and revocation go to the audit trail under the login name (or --actor).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import type { MetrogateStore } from '../store/store.js';
import { type ApiToken, parseExpiry, TOKEN_ROLES, TokenStore } from '../store/tokens.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { createOutput, EXIT_OK, formatTable, type Output, reportError } from './output.js';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  actor?: string;
}

interface CreateOptions extends CommonOptions {
  role: string;
  name?: string;
  expires?: string;
}

function loginName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

function stateOf(token: ApiToken, now: Date): string {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt && Date.parse(token.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

function run(
  options: CommonOptions,
  context: CliContext,
  body: (tokens: TokenStore, out: Output) => void,
): number {
  const out = createOutput(options.json === true);
  let store: MetrogateStore | undefined;
  try {
    store = openCliStore(options.dataDir, context);
    body(new TokenStore(store), out);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    store?.close();
  }
}

export function registerToken(program: Command, context: CliContext): void {
  const token = program
    .command('token')
    .summary('create, list and revoke access tokens of the HTTP API')
    .description(
      'Bearer tokens for the HTTP API and the dashboards. Roles: regulator (reads coverage, the register ' +
        'and records), technician (runs verifications and reads), admin (everything, register imports ' +
        'included). A token is printed once; the data directory keeps only its SHA-256.',
    );

  token
    .command('create')
    .summary('create a token and print it (once)')
    .addOption(
      new Option('--role <role>', 'what the token may do').choices([...TOKEN_ROLES]).makeOptionMandatory(),
    )
    .option('--name <name>', 'who or what holds it, shown in lists and logs (default: the role)')
    .option(
      '--expires <when>',
      'expiry: a duration (90m, 12h, 30d, 8w), a date YYYY-MM-DD, or an ISO date-time',
    )
    .option('--actor <name>', 'who creates it, for the audit trail (default: the login name)')
    .addOption(dataDirOption())
    .option('--json', 'print { token, id, role, name, createdAt, expiresAt } as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  metrogate token create --role regulator --name "涪城区 bureau" --expires 90d\n' +
        '  curl -H "Authorization: Bearer mgt_…" http://127.0.0.1:8080/api/coverage',
    )
    .action((options: CreateOptions) => {
      process.exitCode = run(options, context, (tokens, out) => {
        const expiresAt =
          options.expires === undefined ? undefined : parseExpiry(options.expires, new Date());
        const created = tokens.create({
          role: options.role,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(expiresAt ? { expiresAt } : {}),
          actor: options.actor ?? loginName(),
        });
        if (out.json) out.jsonLine({ token: created.token, ...created.info });
        else {
          out.line(created.token);
          out.note(
            `token ${created.info.id} (${created.info.role}, "${created.info.name}")${created.info.expiresAt ? `, expires ${created.info.expiresAt}` : ''}: ` +
              'copy it now, it is not shown again',
          );
        }
      });
    });

  token
    .command('list')
    .summary('list the tokens with their role and state (never the tokens themselves)')
    .addOption(dataDirOption())
    .option('--json', 'print the list as JSON')
    .action((options: CommonOptions) => {
      process.exitCode = run(options, context, (tokens, out) => {
        const now = new Date();
        const list = tokens.list().map((t) => ({ ...t, state: stateOf(t, now) }));
        if (out.json) out.jsonLine(list);
        else {
          out.line(
            formatTable(
              ['id', 'role', 'name', 'state', 'created', 'expires', 'last used'],
              list.map((t) => [
                t.id,
                t.role,
                t.name,
                t.state,
                t.createdAt.slice(0, 16),
                t.expiresAt?.slice(0, 16) ?? '-',
                t.lastUsedAt?.slice(0, 16) ?? '-',
              ]),
            ),
          );
        }
      });
    });

  token
    .command('revoke')
    .summary('revoke a token: it is refused from the next request on')
    .argument('<id>', 'token id as `token list` shows it (TK-000003)')
    .option('--actor <name>', 'who revokes it, for the audit trail (default: the login name)')
    .addOption(dataDirOption())
    .option('--json', 'print the revoked token as JSON')
    .action((id: string, options: CommonOptions) => {
      process.exitCode = run(options, context, (tokens, out) => {
        if (!/^TK-\d{6}$/.test(id)) {
          throw new MetrogateError(
            'MG_ERR_INPUT_INVALID',
            `token id "${id}" is not of the form TK-000003 (see token list)`,
            {
              path: 'id',
            },
          );
        }
        const revoked = tokens.revoke(id, options.actor ?? loginName());
        if (out.json) out.jsonLine(revoked);
        else
          out.line(
            `token ${revoked.id} (${revoked.role}, "${revoked.name}") revoked at ${revoked.revokedAt}`,
          );
      });
    });
}
