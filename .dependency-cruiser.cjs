/**
 * The dependency rule, as checks `npm run deps` (and so `npm test`) runs. Read the rules top to bottom to
 * learn the architecture: a file's folder says what it may import. docs/architecture.md draws the same
 * rules as a diagram.
 *
 *   functions/<name>/handler.ts  composition root + middy wiring: may import anything in shared/
 *   shared/http                  HTTP in and out: bodies, pages, and errors -> statuses in one place
 *   shared/use-cases             one job each; imports domain, ports, email content, other use cases
 *   shared/email                 the emails we send, composed from domain values
 *   shared/ports                 the interfaces use cases need; adapters implement them
 *   shared/adapters              AWS, MailChimp, Turnstile: the only code that talks to the outside
 *   shared/domain                pure rules and the core's errors: imports nothing outside itself
 *   shared/support               small, generic helpers (bounded concurrency, retry with back-off)
 *
 * Type-only imports count (`tsPreCompilationDeps`): a type is a dependency too.
 */

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-domain',
      comment:
        'The domain (consent rules, retention, tokens, the core errors) is pure: it imports only other ' +
        'domain files and Node built-ins. Settings reach it as values of the shapes in ' +
        'shared/domain/settings.ts, never as the config file or its validator.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { pathNot: '^shared/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-import-only-domain',
      comment:
        'A port is an interface a use case needs (store, audience, mailer, verifier). It speaks in domain ' +
        'terms only, so any adapter can implement it and any test can fake it.',
      severity: 'error',
      from: { path: '^shared/ports/' },
      to: { pathNot: '^shared/(domain|ports)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'use-cases-import-only-the-core',
      comment:
        'A use case does one job with the domain rules and the ports it is given. It never reaches an ' +
        'adapter, HTTP, the config file or a function: its callers build those and pass them in. It may ' +
        'compose emails (shared/email) and log (shared/log.ts). It raises the core errors, never HTTP errors.',
      severity: 'error',
      from: { path: '^shared/use-cases/' },
      to: {
        pathNot: ['^shared/(domain|ports|use-cases|email|support)/', '^shared/log\\.ts$'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'email-content-imports-only-the-core',
      comment:
        'The emails we send are built from domain values and the mailer port. They share the one HTML ' +
        'escaper with the pages (shared/http/responses.ts) so there is a single place that escapes.',
      severity: 'error',
      from: { path: '^shared/email/' },
      to: {
        pathNot: ['^shared/(domain|ports|email)/', '^shared/http/responses\\.ts$'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'support-imports-nothing',
      comment:
        'shared/support holds generic helpers every layer may use (one worker pool, one retry with ' +
        'back-off). They know nothing of the product, so they import only each other and Node built-ins.',
      severity: 'error',
      from: { path: '^shared/support/' },
      to: { pathNot: '^shared/support/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'only-the-dynamodb-adapter-knows-keys',
      comment:
        'Table keys, GSI names and raw attribute values are known in shared/adapters/dynamodb alone ' +
        '(table.ts describes them). infra builds the table from the same description; no other code in ' +
        'shared/ or functions/ may import it.',
      severity: 'error',
      from: { path: '^(shared|functions)/', pathNot: '^shared/adapters/dynamodb/' },
      to: { path: '^shared/adapters/dynamodb/table\\.ts$' },
    },
    {
      name: 'adapters-know-nothing-of-http-or-use-cases',
      comment:
        'Adapters implement ports and raise the core errors (e.g. DependencyUnavailableError when Turnstile ' +
        'is down). They never raise HTTP errors or call back into use cases.',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: ['^shared/http/', '^shared/use-cases/'] },
    },
    {
      name: 'http-knows-nothing-of-use-cases-or-adapters',
      comment:
        'shared/http turns requests into domain values and core errors into responses (asHttpError is the ' +
        'one mapping). It depends on the domain only; handlers connect it to use cases.',
      severity: 'error',
      from: { path: '^shared/http/' },
      to: { path: ['^shared/use-cases/', '^shared/adapters/'] },
    },
    {
      name: 'functions-never-import-infra',
      comment:
        'A function bundle carries runtime code only. What both need (the staff route access table, ' +
        'the settings schema) lives in shared/; infra imports it from there.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^infra/' },
    },
    {
      name: 'production-code-never-imports-local-or-test',
      comment:
        'local/ (the local runner and emulators) and test/ are tooling around the product: what is ' +
        'deployed never depends on them.',
      severity: 'error',
      from: { path: '^(shared|functions|infra)/' },
      to: { path: '^(local|test)/' },
    },
    {
      name: 'no-circular',
      comment: 'Dependencies point one way; a cycle means two modules are one job split badly.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that cannot be resolved cannot be checked either.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // TypeScript 7.0's compiler has no API dependency-cruiser can use, so swc parses the sources. swc reads
    // them before any type is erased: type-only imports are dependencies (marked `type-only`) and every
    // rule applies to them. `tsPreCompilationDeps` only steers the tsc parser, which would need that API.
    parser: 'swc',
    tsPreCompilationDeps: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
    },
  },
};
