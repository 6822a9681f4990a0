/**
 * Builds the staff console into `console/dist` (or another folder): the TypeScript bundled and minified by
 * esbuild into one `app.js`, with index.html and styles.css beside it. Run by `npm run console:build`, by
 * `npm start` before serving, and by the CDK app at synth (a local bundling step, no Docker).
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSync } from 'esbuild';

export const CONSOLE_ROOT = import.meta.dirname;
export const CONSOLE_DIST = resolve(CONSOLE_ROOT, 'dist');
/** Every file the build writes; config.json is added where the console is served. */
export const CONSOLE_FILES = ['index.html', 'styles.css', 'app.js'] as const;

/** Synchronous, because CDK's local bundling hook is. Takes well under a second. */
export function buildConsole(outDir: string = CONSOLE_DIST): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [resolve(CONSOLE_ROOT, 'src/main.ts')],
    outfile: resolve(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    // No source maps in what is deployed: nothing to fetch from another origin, nothing extra to host.
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'styles.css'])
    copyFileSync(resolve(CONSOLE_ROOT, file), resolve(outDir, file));
}

if (import.meta.main) {
  const outDir = process.argv[2] ? resolve(process.argv[2]) : CONSOLE_DIST;
  buildConsole(outDir);
  console.log(`Staff console built into ${outDir}`);
}
