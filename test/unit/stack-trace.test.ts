import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../shared/log.ts';
import { sourceMappedStack } from '../../shared/stack-trace.ts';

/**
 * A minified ESM bundle with its map beside it, as the functions are deployed, and the frame a throw in it
 * reports when Node runs without --enable-source-maps (vitest itself maps stacks, so the frame is built).
 */
async function bundledFrame(): Promise<{ frame: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'consent-desk-stack-'));
  const source = [
    '// line 1',
    '// line 2',
    'export function fail(): never {',
    "  throw new TypeError('bundled');",
    '}',
  ];
  writeFileSync(join(dir, 'thrower.ts'), `${source.join('\n')}\n`);
  const file = join(dir, 'index.mjs');
  await build({
    entryPoints: [join(dir, 'thrower.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    outfile: file,
    logLevel: 'silent',
  });
  const column = readFileSync(file, 'utf8').indexOf('throw') + 1;
  return { frame: `    at e (${pathToFileURL(file).href}:1:${column})`, file };
}

describe('sourceMappedStack', () => {
  it('maps a bundled frame to the source file and line the map names, without --enable-source-maps', async () => {
    const { frame, file } = await bundledFrame();
    const error = new TypeError('bundled');
    error.stack = `TypeError: bundled\n${frame}\n    at node:internal/process/task_queues:105:5`;

    const frames = describeError(error).stack as string;
    expect(frames).toMatch(/^ {4}at e \(.*thrower\.ts:4:3\) \| {5}at node:internal/);
    expect(frames).not.toContain(file);
  });

  it('leaves frames of files with no map beside them as they are', () => {
    const stack = '    at run (file:///nowhere/index.mjs:1:20) | at node:internal/process:3:4';
    expect(sourceMappedStack(stack)).toBe(stack);
  });
});
