/**
 * `npm run bench`: bundle sizes, cold start (module load and first call) against an empty module and a
 * conventional SDK v3 handler, time inside the handler per request, the local runner's throughput, and a
 * large marketing-list export through the staff API (BENCH_EXPORT_CONTACTS people, 100,000 by default).
 * Prints a table and writes bench/results.json. Benchmarks, not assertions: numbers vary by machine.
 * `npm run bench -- --cold-start-only` stops after bundle sizes and cold starts (a couple of minutes).
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createBenchEvent } from './bench-event.ts';
import { synthesizeBundles } from './bundles.ts';
import { type ColdStartCandidate, measureColdStarts } from './cold-start.ts';
import { measureHandlerOverhead } from './handler-overhead.ts';
import { type ImportThroughputResult, measureImportThroughput } from './import-throughput.ts';
import { measureRightsLatency, type RightsLatencyResult } from './rights-latency.ts';
import { type ExportResult, measureStaffExport } from './staff-export.ts';
import { median, round1 } from './stats.ts';
import { measureLocalThroughput, type ThroughputResult } from './throughput.ts';

const BUILD_DIR = join(import.meta.dirname, '.build');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 25);
const EXPORT_CONTACTS = Number(process.env.BENCH_EXPORT_CONTACTS ?? 100_000);
const COLD_START_ONLY = process.argv.includes('--cold-start-only');
// Stand-ins for values CloudFormation fills in at deploy time.
const DEPLOY_TIME_ENV = {
  TABLE_NAME: 'ConsentDeskBench',
  EMAIL_HASH_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:bench-email-hash-key',
  TOKEN_SIGNING_KEYS_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-2:123456789012:secret:bench-token-signing-keys',
  MAILCHIMP_WEBHOOK_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-2:123456789012:secret:bench-mailchimp-webhook',
  MAILCHIMP_API_KEY_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-2:123456789012:secret:bench-mailchimp-api-key',
  // The MailChimp sync's links point at the API when the config names no public base URL.
  API_BASE_URL: 'https://bench.execute-api.eu-west-2.amazonaws.com/v1/',
};

interface BenchResults {
  readonly functions: Record<
    string,
    {
      readonly bundleBytes: number;
      readonly gzipBytes: number;
      readonly moduleLoadMsMedian: number;
      readonly firstCallMsMedian: number;
      /** The same bundle under NODE_OPTIONS=--enable-source-maps, which the functions no longer use. */
      readonly moduleLoadMsMedianWithSourceMapsFlag: number;
    }
  >;
  readonly baselines: {
    readonly empty: { readonly moduleLoadMsMedian: number };
    readonly conventional: {
      readonly bundleBytes: number;
      readonly moduleLoadMsMedian: number;
      readonly firstCallMsMedian: number;
    };
  };
  readonly handlerOverheadUs: Record<string, { readonly p50: number; readonly p99: number }>;
  /** Absent when run with --cold-start-only. */
  readonly localThroughput?: ThroughputResult;
  readonly staffExport?: ExportResult;
  readonly rightsLatency?: RightsLatencyResult;
  readonly importThroughput?: ImportThroughputResult;
  readonly environment: Record<string, string | number>;
}

async function main(): Promise<void> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(BUILD_DIR, { recursive: true });

  console.log('Synthesizing the CDK app to build the function bundles…');
  const bundles = synthesizeBundles(join(BUILD_DIR, 'cdk.out'));
  const baselines = await buildBaselines();

  console.log(`Cold starts: ${SAMPLES} fresh Node processes per candidate…`);
  const candidates: ColdStartCandidate[] = [
    ...bundles.map((bundle) => ({
      name: bundle.name,
      file: bundle.file,
      env: { ...DEPLOY_TIME_ENV, ...bundle.environment },
      event: createBenchEvent(bundle.name),
    })),
    // The same bundle with Node mapping stacks at load, as the functions used to run, to show what it costs.
    ...bundles.map((bundle) => ({
      name: `${bundle.name} with --enable-source-maps`,
      file: bundle.file,
      env: { ...DEPLOY_TIME_ENV, ...bundle.environment, NODE_OPTIONS: '--enable-source-maps' },
      event: createBenchEvent(bundle.name),
    })),
    { name: 'empty', file: baselines.empty, env: {}, event: {} },
    {
      name: 'conventional',
      file: baselines.conventional,
      env: { TABLE_NAME: DEPLOY_TIME_ENV.TABLE_NAME },
      event: { body: '{}' },
    },
  ];
  const cold = measureColdStarts(candidates, SAMPLES);
  const loadMedian = (name: string) => round1(median(cold.get(name)?.map((s) => s.moduleLoadMs) ?? []));
  const firstCallMedian = (name: string) => round1(median(cold.get(name)?.map((s) => s.firstCallMs) ?? []));

  const overhead: Record<string, { p50: number; p99: number }> = {};
  let throughput: ThroughputResult | undefined;
  let staffExport: ExportResult | undefined;
  let rightsLatency: RightsLatencyResult | undefined;
  let importThroughput: ImportThroughputResult | undefined;
  if (!COLD_START_ONLY) {
    console.log('Handler overhead…');
    overhead.enquiry = await measureHandlerOverhead('enquiry', 3000);
    overhead.links = await measureHandlerOverhead('links', 3000);
    console.log('Local throughput…');
    throughput = await measureLocalThroughput(1000, 8);
    console.log(`Staff export: seeding ${EXPORT_CONTACTS} people, then GET /contacts as CSV…`);
    staffExport = await measureStaffExport(EXPORT_CONTACTS);
    console.log(
      'Subject requests: access and erasure for a person with 50 enquiries and 100 consent events…',
    );
    rightsLatency = await measureRightsLatency();
    console.log(
      'Import: 10,000 client rows through npm run import, against the seed writing as many people…',
    );
    importThroughput = await measureImportThroughput(10_000);
  }

  const results: BenchResults = {
    functions: Object.fromEntries(
      bundles.map((bundle) => [
        bundle.name,
        {
          bundleBytes: bundle.bundleBytes,
          gzipBytes: bundle.gzipBytes,
          moduleLoadMsMedian: loadMedian(bundle.name),
          firstCallMsMedian: firstCallMedian(bundle.name),
          moduleLoadMsMedianWithSourceMapsFlag: loadMedian(`${bundle.name} with --enable-source-maps`),
        },
      ]),
    ),
    baselines: {
      empty: { moduleLoadMsMedian: loadMedian('empty') },
      conventional: {
        bundleBytes: statSync(baselines.conventional).size,
        moduleLoadMsMedian: loadMedian('conventional'),
        firstCallMsMedian: firstCallMedian('conventional'),
      },
    },
    handlerOverheadUs: overhead,
    localThroughput: throughput,
    staffExport,
    rightsLatency,
    importThroughput,
    environment: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      samples: SAMPLES,
      measuredAt: new Date().toISOString(),
    },
  };
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
}

/** The baselines, bundled as NodejsFunction would: ours-style ESM for the empty one, CJS defaults for the other. */
async function buildBaselines(): Promise<{ empty: string; conventional: string }> {
  const empty = join(BUILD_DIR, 'baselines/empty/index.mjs');
  const conventional = join(BUILD_DIR, 'baselines/conventional/index.cjs');
  const common = { bundle: true, platform: 'node', target: 'node24', logLevel: 'warning' } as const;
  await build({
    ...common,
    entryPoints: [join(import.meta.dirname, 'baselines/empty.ts')],
    format: 'esm',
    minify: true,
    outfile: empty,
  });
  // NodejsFunction's defaults with the SDK bundled: CommonJS, not minified, no source map. (.cjs because
  // this repository's package.json says "type": "module"; a Lambda asset has no package.json.)
  await build({
    ...common,
    entryPoints: [join(import.meta.dirname, 'baselines/conventional.ts')],
    format: 'cjs',
    outfile: conventional,
  });
  return { empty, conventional };
}

function printTable(results: BenchResults): void {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const conventional = results.baselines.conventional;
  const rows: string[][] = [
    ['', 'bundle', 'gzip', 'module load', 'vs conventional', 'first call', 'overhead p50/p99'],
  ];
  for (const [name, f] of Object.entries(results.functions)) {
    const overhead = results.handlerOverheadUs[name];
    rows.push([
      name,
      kb(f.bundleBytes),
      kb(f.gzipBytes),
      `${f.moduleLoadMsMedian} ms`,
      `${(f.moduleLoadMsMedian / conventional.moduleLoadMsMedian).toFixed(2)}x`,
      `${f.firstCallMsMedian} ms`,
      overhead ? `${overhead.p50}/${overhead.p99} µs` : '',
    ]);
    const mapped = f.moduleLoadMsMedianWithSourceMapsFlag;
    rows.push([
      `  with --enable-source-maps`,
      '',
      '',
      `${mapped} ms`,
      `${(mapped / conventional.moduleLoadMsMedian).toFixed(2)}x`,
      '',
      '',
    ]);
  }
  rows.push([
    'conventional',
    kb(conventional.bundleBytes),
    '',
    `${conventional.moduleLoadMsMedian} ms`,
    '1.00x',
    `${conventional.firstCallMsMedian} ms`,
    '',
  ]);
  rows.push(['empty', '', '', `${results.baselines.empty.moduleLoadMsMedian} ms`, '', '', '']);
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
  const t = results.localThroughput;
  const e = results.staffExport;
  if (!t || !e) {
    console.log('written to bench/results.json');
    return;
  }
  console.log(
    `\nlocal throughput: ${t.requestsPerSecond} enquiries/s (${t.requests} requests, ${t.concurrency} concurrent; p50 ${t.p50Ms} ms, p99 ${t.p99Ms} ms); ` +
      `the same transactions written directly: ${t.rawTransactionsPerSecond}/s (ratio ${t.ratioToRaw})`,
  );
  console.log(
    `staff export: ${e.rowsExported} rows, the lists of ${e.topics.join(' and ')} (${e.csvMegabytes} MB CSV, ${e.pages} pages of ${e.pageSize}) in ${e.exportSeconds} s (${e.rowsPerSecond} rows/s); ` +
      `local server RSS ${e.serverRssIdleMb} MB idle, peak ${e.serverRssSeedPeakMb} MB while seeding, ${e.serverRssBeforeMb} MB before the export, peak ${e.serverRssPeakMb} MB during it; ` +
      `${e.readUnitsPer1000Contacts} read capacity units per 1,000 contacts listed; ` +
      `seeding ${e.contactsSeeded} people took ${e.seedSeconds} s`,
  );
  const r = results.rightsLatency;
  if (r) {
    console.log(
      `subject requests (${r.enquiries} enquiries, ${r.consentEvents}+ consent events, median of ${r.people}): access ${r.accessMsMedian} ms, erasure ${r.erasureMsMedian} ms`,
    );
  }
  const i = results.importThroughput;
  if (i) {
    console.log(
      `import of ${i.rows} client rows: dry run ${i.dryRunRowsPerSecond} rows/s, import ${i.importRowsPerSecond} rows/s; ` +
        `baseline, the seed's raw bulk write: ${i.seedPeoplePerSecond} people/s`,
    );
  }
  console.log('written to bench/results.json');
}

await main();
