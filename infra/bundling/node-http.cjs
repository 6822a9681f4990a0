// Stands in for `node:http` in function bundles. An ESM `import` of node:http makes Node 24 build its
// module facade, which evaluates every lazy export and loads undici (~30 ms of cold start); a CommonJS
// re-export of the already-built module costs nothing. `getBuiltinModule` is not rewritten by the alias.
module.exports = process.getBuiltinModule('node:http');
