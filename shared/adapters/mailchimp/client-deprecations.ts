/**
 * Keeps exactly two deprecation warnings of MailChimp's official client out of every cold start's and
 * every local command's output: its superagent builds the basic-auth header with `new Buffer()` (DEP0005)
 * and parses URLs with `url.parse()` (DEP0169). We keep the client (see client.ts), so the warnings say
 * nothing we can act on. Imported by client.ts before the client loads, hence only in processes that talk
 * to MailChimp; the client emits them on its first request, so the filter stays for the process's life.
 * Every other warning, these codes from anywhere else included, goes through unchanged.
 */

const CLIENT_DEPRECATIONS: ReadonlySet<string> = new Set(['DEP0005', 'DEP0169']);
const FILTERED = Symbol.for('consent-desk.mailchimp-client-deprecations');

type EmitWarning = typeof process.emitWarning;

function warningCode(args: unknown[]): unknown {
  const [typeOrOptions, code] = args;
  if (typeOrOptions && typeof typeOrOptions === 'object') return (typeOrOptions as { code?: unknown }).code;
  return code;
}

/** Whether the warning was raised from inside superagent (MailChimp's HTTP client). */
function raisedBySuperagent(): boolean {
  return /superagent|mailchimp_marketing/.test(new Error().stack ?? '');
}

const processWithFlag = process as typeof process & { [FILTERED]?: true };
if (!processWithFlag[FILTERED]) {
  processWithFlag[FILTERED] = true;
  const emitWarning: EmitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...args: unknown[]) => {
    const code = warningCode(args);
    // Bundled without source maps the stack names only the bundle, so the code alone decides there.
    const bundled = !/node_modules/.test(new Error().stack ?? '');
    if (typeof code === 'string' && CLIENT_DEPRECATIONS.has(code) && (bundled || raisedBySuperagent()))
      return;
    (emitWarning as (warning: string | Error, ...rest: unknown[]) => void)(warning, ...args);
  }) as EmitWarning;
}
