/**
 * Stack frames in source terms, read from a bundle's source map only when an error is logged. Node's
 * `--enable-source-maps` parses every map at each cold start (100–250 ms of INIT, measured in
 * docs/performance.md) for traces a healthy function never prints; here the first logged error pays once.
 * Frames of files without a `.map` beside them (local mode, tests) are left as they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

// One map per bundle file, or null when the file has none; a container runs one bundle.
const maps = new Map<string, SourceMap | null>();

function mapFor(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    map = null;
    try {
      if (existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      // An unreadable map must not turn logging an error into another error.
    }
    maps.set(file, map);
  }
  return map;
}

// `at name (file:line:column)` or `at file:line:column`, for JavaScript files only.
const FRAME_LOCATION = /((?:file:\/\/)?\/[^\s():]+\.[cm]?js):(\d+):(\d+)/g;

/** The stack with each bundled location replaced by the source file, line and column it came from. */
export function sourceMappedStack(stack: string): string {
  return stack.replace(FRAME_LOCATION, (location, file: string, line: string, column: string) => {
    const entry = mapFor(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return location;
    const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '').replace(/^file:\/\//, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
