import { IANAZone } from 'luxon';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { tokensCreate, tokensList, type TokensOutput, tokensRevoke } from './api/tokens-cli.ts';
import { importSubscribers } from './app/import-subscribers.ts';
import { runConsole } from './chat/console/run-console.ts';
import { ConfigError, type Config, describeSettings, loadConfig } from './config.ts';
import type { Actor } from './core/model.ts';
import { type Database, openDatabase } from './db/client.ts';
import { runDemo } from './demo.ts';
import { createLogger, type Logger } from './logger.ts';
import { describeStartupError, startServer, statusPageUrl, stopOnSignals } from './main.ts';
import { openRuntime } from './runtime.ts';

/** Bad settings, whether loadConfig or a part found them at start-up: one line each, exit 2. */
function exitOnConfigError(e: unknown): void {
  if (e instanceof ConfigError) {
    for (const problem of e.problems) process.stderr.write(`tsuiki: invalid setting: ${problem}\n`);
    process.exit(2);
  }
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    exitOnConfigError(e);
    throw e;
  }
}

function fail(e: unknown): never {
  exitOnConfigError(e);
  process.stderr.write(`tsuiki: ${describeStartupError(e)}\n`);
  process.exit(1);
}

/** The settings part of `--help`, generated from the schema that validates them. */
function settingsHelp(): string {
  const width = Math.max(...describeSettings().map((s) => s.name.length)) + 2;
  const lines = describeSettings().map(({ name, default: fallback, values }) => {
    const facts = [values ? `one of ${values.join(', ')}` : '', fallback !== undefined ? `default ${fallback === '' ? '""' : fallback}` : 'unset by default'];
    return `  ${name.padEnd(width)}${facts.filter(Boolean).join('; ')}`;
  });
  return ['', 'Settings (environment variables or ./.env; an empty value counts as unset; see README.md):', ...lines].join('\n');
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function localActor(config: Config, lang: string | undefined, timeZone?: string): Actor {
  const name = userInfo().username || 'you';
  return { platform: 'console', id: `console:${name}`, name, lang: lang && config.locales.includes(lang) ? lang : config.locales[0]!, ...(timeZone ? { timeZone } : {}) };
}

/** Quiet JSON logs on stderr, so the console's own output stays readable. */
function consoleLogger(config: Config): Logger {
  return createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, destination: process.stderr });
}

const program = new Command()
  .name('tsuiki')
  .description('Incident-response bot: declare, update, translate and publish incidents from chat.')
  .version(version, '-V, --version', 'print the version')
  .addHelpText('after', settingsHelp);

program
  .command('serve')
  .description('serve Slack, Teams, the status page, health and metrics over HTTP (the default)')
  .action(async () => {
    const config = configOrExit();
    const logger = createLogger({ level: config.logLevel });
    const server = await startServer(config, logger).catch(fail);
    stopOnSignals(server, config.shutdownGraceSeconds * 1000, logger);
  });

program
  .command('console')
  .description('a local chat console: type /incident commands without Slack or Teams')
  .option('--lang <lang>', 'language of replies (one of LOCALES)')
  .option('--tz <zone>', 'IANA time zone your typed times are read in (default TEAM_TIME_ZONE)')
  .action(async (options: { lang?: string; tz?: string }) => {
    const config = configOrExit();
    if (options.tz && !IANAZone.isValidZone(options.tz)) fail(new Error(`--tz: not an IANA time zone: "${options.tz}"`));
    const logger = consoleLogger(config);
    const server = await startServer(config, logger).catch(fail);
    process.stdout.write(`status page: ${statusPageUrl(config, server.port, config.host)} · database: ${server.runtime.database.kind}\n`);
    await runConsole(server.runtime, localActor(config, options.lang, options.tz), logger);
    await server.stop();
  });

program
  .command('demo')
  .description('replay a sample incident end to end through the console')
  .option('--lang <lang>', 'language of replies (one of LOCALES)')
  .option('--memory', 'use a throwaway in-memory database instead of the configured one')
  .action(async (options: { lang?: string; memory?: boolean }) => {
    const config = configOrExit();
    const logger = consoleLogger(config);
    const runtime = await openRuntime(config, { inMemory: Boolean(options.memory) }).catch(fail);
    await runDemo(runtime, localActor(config, options.lang), process.stdout, logger, { inMemory: Boolean(options.memory) });
    await runtime.close();
  });

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const config = configOrExit();
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }).catch(fail);
    process.stdout.write(`migrations applied (${database.kind})\n`);
    await database.close();
  });

program
  .command('subscribers')
  .description('manage subscribers')
  .command('import <csv>')
  .description('add or update subscribers from CSV (type,address,lang,time_zone,components,secret); "-" reads stdin')
  .action(async (file: string) => {
    const config = configOrExit();
    const csv = file === '-' ? await readStdin() : readFileSync(file, 'utf8');
    const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }).catch(fail);
    const result = await importSubscribers(database.db, csv, { locales: config.locales, timeZones: config.timeZones, now: new Date() });
    await database.close();
    for (const e of result.errors) process.stderr.write(`line ${e.line}: ${e.message}\n`);
    for (const s of result.generatedSecrets) process.stdout.write(`secret for ${s.address}: ${s.secret}\n`);
    process.stdout.write(`subscribers: ${result.added} added, ${result.updated} updated, ${result.errors.length} rejected\n`);
    if (result.errors.length > 0) process.exitCode = 1;
  });

const tokens = program.command('tokens').description('manage REST API tokens (/api/v1, Authorization: Bearer <token>)');

/** Runs one `tokens` subcommand on the configured database and exits with its code. */
async function withTokens(work: (db: Database['db'], io: TokensOutput) => Promise<number>): Promise<void> {
  const config = configOrExit();
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir }).catch(fail);
  try {
    process.exitCode = await work(database.db, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
  } finally {
    await database.close();
  }
}

tokens
  .command('create <name>')
  .description('create a token and print it once (only its SHA-256 is stored)')
  .action((name: string) => withTokens((db, io) => tokensCreate(db, name, io)));

tokens
  .command('revoke <name>')
  .description('revoke a token: requests with it are refused (401) at once')
  .action((name: string) => withTokens((db, io) => tokensRevoke(db, name, io)));

tokens
  .command('list')
  .description('list tokens: name, created, last used, revoked (never the token)')
  .action(() => withTokens((db, io) => tokensList(db, io)));

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// `tsuiki` alone serves. serve is not commander's default command: that would take any
// unknown word as an argument of serve ("too many arguments") instead of naming it.
const args = process.argv.slice(2);
await program.parseAsync(args.length === 0 ? ['serve'] : args, { from: 'user' });
