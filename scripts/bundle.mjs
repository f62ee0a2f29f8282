#!/usr/bin/env node
// Second half of `npm run build`: bundles the tsc output's CLI entry into dist/bundle/ for bin/jl-edge.
// Why: Node resolves and loads every ES module file separately, and that per-file cost made `jl-edge --help`
// miss SPEC §8's start-up target. One entry file (with commander inside) plus one chunk per lazily imported
// command keeps start-up to a few files while the commands stay lazy.
// Bundled too: knex with its pure-JavaScript dependencies. Loaded from node_modules, knex alone is 330 files
// (252 of them lodash's) to resolve, read and compile on every run; bundled it loads in about half the time,
// which every cron run pays before it does anything. Left as ordinary imports from node_modules: packages with
// native addons (better-sqlite3, ssh2 and their optional helpers), whose files are found relative to their own
// folder, and the database drivers knex requires only when a connection of that kind is made.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const ENTRY = 'dist/cli.js';
const OUT_DIR = 'dist/bundle';
const EXTERNAL_PACKAGES = new Set([
  'better-sqlite3',
  'ssh2',
  'ssh2-sftp-client',
  'cpu-features',
  'pg',
  'pg-native',
  'pg-query-stream',
  'sqlite3',
  'mysql',
  'mysql2',
  'mariadb',
  'oracledb',
  'tedious',
]);

/** A bare specifier's package name: `knex/lib/x` → `knex`, `@scope/pkg/x` → `@scope/pkg`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const externalPackages = {
  name: 'external-packages',
  setup(plugin) {
    plugin.onResolve({ filter: /^[^./]/ }, (args) =>
      EXTERNAL_PACKAGES.has(packageName(args.path)) ? { path: args.path, external: true } : undefined,
    );
  },
};

// Hashed chunk names change with their content, so chunks of an earlier build would pile up.
rmSync(OUT_DIR, { recursive: true, force: true });

await build({
  entryPoints: { cli: ENTRY },
  outdir: OUT_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [externalPackages],
  // commander is CommonJS and require()s Node built-ins; in an ES module bundle that needs a real `require`.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
