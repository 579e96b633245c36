import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One measured number, with the baseline measured in the same run and the product's target. */
export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  /** What the baseline is, e.g. `bare INSERT, same client`. */
  baselineLabel?: string;
  /** value ÷ baseline. */
  ratio?: number;
  /** What the product needs, as a person reads it: `≥ 100 cmd/s`. */
  target?: string;
}

/** What every benchmark module in bench/ exports. */
export interface BenchModule {
  run(): Promise<BenchRow[]>;
}

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = join(BENCH_DIR, 'results', 'latest.json');

/** Files in bench/ that hold shared code, not a benchmark. */
const NOT_BENCHMARKS = new Set(['support.ts']);

/** Names of the benchmark modules in bench/, without `.ts`; run.ts itself is not one. */
export function benchmarkNames(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && !NOT_BENCHMARKS.has(f) && f !== basename(fileURLToPath(import.meta.url)) && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

interface ModuleResult {
  name: string;
  rows: BenchRow[];
  error?: string;
}

async function runAll(requested: string[]): Promise<number> {
  const available = benchmarkNames();
  const unknown = requested.filter((n) => !available.includes(n.replace(/\.ts$/, '')));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const names = requested.length > 0 ? requested.map((n) => n.replace(/\.ts$/, '')) : available;
  const results: ModuleResult[] = [];
  for (const name of names) {
    console.log(`running ${name} ...`);
    const outcome = await runInChild(name);
    if (outcome.error) console.error(`${name} failed: ${outcome.error}`);
    results.push({ name, rows: outcome.rows, ...(outcome.error ? { error: outcome.error.split('\n')[0]! } : {}) });
  }

  const command = commandLine(requested);
  const machine = machineFacts();
  console.log('');
  console.log(renderTable(results.flatMap((r) => r.rows)));
  console.log('');
  console.log(`command: ${command}`);
  console.log(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}/${machine.arch}, node ${machine.node}`);
  console.log(`date:    ${machine.date}`);

  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify({ command, machine, benchmarks: results }, null, 2)}\n`);
  console.log(`written: ${RESULTS_FILE}`);

  const failed = results.filter((r) => r.error);
  if (failed.length > 0) {
    console.error(`failed: ${failed.map((r) => r.name).join(', ')}`);
    return 1;
  }
  return 0;
}

type ChildOutcome = { rows: BenchRow[]; error?: string };

/**
 * Runs one benchmark in a process of its own, so none inherits another's heap, timers,
 * pools or servers left running: each is measured as if it ran alone.
 */
function runInChild(name: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    let outcome: ChildOutcome | undefined;
    const child = fork(fileURLToPath(import.meta.url), ['--child', name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: ChildOutcome) => (outcome = message));
    child.on('exit', (code, signal) => resolve(outcome ?? { rows: [], error: `exited with ${signal ?? code} before reporting` }));
  });
}

/** In the child: runs the named benchmark and reports its rows, or its error, to the parent. */
async function runChild(name: string): Promise<void> {
  let outcome: ChildOutcome;
  try {
    const mod = (await import(pathToFileURL(join(BENCH_DIR, `${name}.ts`)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') throw new Error(`bench/${name}.ts does not export run()`);
    outcome = { rows: await mod.run() };
  } catch (e) {
    // A benchmark that measured and then found the run invalid (e.g. work missing) throws an
    // error carrying its rows (support.ts BenchFailure): the table still shows them.
    const rows = (e as { rows?: unknown } | null)?.rows;
    outcome = { rows: Array.isArray(rows) ? (rows as BenchRow[]) : [], error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  await new Promise<void>((resolve) => process.send!(outcome, () => resolve()));
  // Whatever a benchmark left running must not keep its process alive.
  process.exit(0);
}

/** The command a person would type to reproduce this run. */
function commandLine(requested: string[]): string {
  const args = requested.length > 0 ? ` ${requested.join(' ')}` : '';
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` --${args}` : ''}`;
  return `node --import tsx bench/run.ts${args}`;
}

function machineFacts() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown cpu',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: platform(),
    arch: arch(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

const COLUMNS = ['metric', 'value', 'baseline (same run)', 'ratio', 'target'] as const;

/** The rows as one aligned Markdown table, readable in a terminal and pasteable into an issue. */
export function renderTable(rows: BenchRow[]): string {
  const cells = rows.map((r) => [
    r.metric,
    `${formatNumber(r.value)} ${r.unit}`,
    r.baseline === undefined ? '–' : `${formatNumber(r.baseline)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`,
    r.ratio === undefined ? '–' : `${formatNumber(r.ratio, 2)}×`,
    r.target ?? '–',
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(COLUMNS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

function formatNumber(n: number, fractionDigits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const digits = fractionDigits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Only when run as the entry point, so a benchmark module may import the types above.
if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') await runChild(args[1]!);
  else process.exitCode = await runAll(args);
}
