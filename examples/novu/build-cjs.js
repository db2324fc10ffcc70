// build-cjs.js: the runtime build of the packages a Novu release's migrations
// load, for the map's setup (releasemap.yaml beside this file).
//
//   node build-cjs.js <pnpm filter>...    (from the workspace root)
//
// The migrations run under `ts-node --transpile-only`, which loads the API's own
// source as is and its workspace packages (@novu/dal, @novu/shared, every
// provider…) from the CommonJS output their package.json "main" names. Novu's
// own `build` type-checks every package and compiles most of them twice (CommonJS
// and ES modules); on two cores that is most of a release's setup. This script
// writes only what `require` loads, and writes it with the package's own
// TypeScript and tsconfig, without type-checking:
//
// - For each package, the tsconfig its build scripts pass to tsc (-p/--project,
//   else tsconfig.json) whose output includes "main" is the one used. Every input
//   file of that project is transpiled with ts.transpileModule, the compiler's
//   per-file emit (what ts-node --transpile-only does for the API), to the path
//   tsc would write it to. Type errors are not looked for: they were the
//   release's CI's concern, and tsc emits the same code with or without them.
//   Emitting file by file differs from tsc's whole-program emit in three ways,
//   none of which changes what runs: a re-export of a type becomes a getter
//   that returns undefined; the decorator metadata of an imported type is
//   looked up when the file loads (`typeof X !== "undefined" && X`, else Object)
//   instead of being resolved at build time; and at target ES5 an async
//   function annotated `Promise<…>` passes that Promise to __awaiter instead of
//   leaving it to default to the same global (tsc accepts no other annotation
//   there). A const enum used across files would break; the script refuses a
//   source that declares one.
// - Files of the project's source folder that are not TypeScript (templates,
//   JSON…) are copied beside the output, in place of the packages' own copy steps
//   (application-generic's build:copy-template).
// - A project with no input files builds nothing: Novu's enterprise packages are
//   empty folders in the public tree, and their own build skips them too.
// - A package whose "main" (or a file its "exports" name for require) no tsc
//   project writes (a bundler's output, such as @novu/framework's tsup build)
//   runs its own `pnpm run build`, after the given packages it depends on ran
//   theirs, since its build may read their type declarations, which
//   transpiling does not write.
//
// It fails, naming the package and the file, when a source does not parse or
// declares a const enum, when a project's output lacks a file require() loads,
// or when an own build fails.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function fail(msg) {
  console.error(`build-cjs: ${msg}`);
  process.exit(1);
}

// Anything else that goes wrong (a file that cannot be read or written) is
// one line too, naming the file; node's stack would bury it.
process.on('uncaughtException', (e) => fail(String((e && e.message) || e).split('\n')[0]));

// The packages: those the pnpm filters given select (pnpm --filter F ls), run
// from the workspace root.
const filters = process.argv.slice(2);
if (filters.length === 0) {
  fail('no pnpm filter given (want: node build-cjs.js <pnpm filter>..., such as @novu/api^...)');
}
const listed = spawnSync('pnpm', [...filters.flatMap((f) => ['--filter', f]), 'ls', '--depth', '-1', '--parseable'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (listed.status !== 0) {
  fail(`pnpm ls ${filters.map((f) => `--filter ${f}`).join(' ')}: ${listed.error ? listed.error.message : `exited ${listed.status}`}`);
}
const dirs = [...new Set(listed.stdout.split('\n').filter((l) => l.trim() !== '').map((d) => path.resolve(d.trim())))];
if (dirs.length === 0) fail(`no package matches ${filters.join(' ')}`);

// typescriptFor loads the TypeScript the package itself builds with.
const compilers = new Map();
function typescriptFor(dir) {
  let file;
  try {
    file = require.resolve('typescript', { paths: [dir] });
  } catch (e) {
    fail(`${dir}: no typescript package resolves from here (${e.message.split('\n')[0]}); was the install complete?`);
  }
  if (!compilers.has(file)) compilers.set(file, require(file));
  return compilers.get(file);
}

// projectsOf returns the tsconfig files the package's build scripts pass to tsc,
// in script order; tsconfig.json when none names one.
function projectsOf(dir, pkg) {
  const found = [];
  for (const [name, script] of Object.entries(pkg.scripts || {})) {
    if (!/^build(:|$)/.test(name)) continue;
    for (const m of script.matchAll(/\btsc\b([^&|;]*)/g)) {
      const p = /(?:^|\s)(?:-p|--project)\s+(\S+)/.exec(m[1]);
      let file = path.resolve(dir, p ? p[1] : 'tsconfig.json');
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'tsconfig.json');
      if (!found.includes(file)) found.push(file);
    }
  }
  if (found.length === 0) found.push(path.join(dir, 'tsconfig.json'));
  return found.filter((f) => fs.existsSync(f));
}

function parseProject(ts, file) {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => fail(`${file}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`),
  };
  return ts.getParsedCommandLineOfConfigFile(file, undefined, host);
}

const isSource = (f) => /\.(ts|tsx|mts|cts)$/.test(f) && !/\.d\.(ts|mts|cts)$/.test(f);

// commonDir is tsc's source root when rootDir is not set: the deepest folder
// holding every input that is not a declaration.
function commonDir(files) {
  let parts = null;
  for (const f of files) {
    const d = path.dirname(f).split(path.sep);
    if (parts === null) parts = d;
    let i = 0;
    while (i < parts.length && i < d.length && parts[i] === d[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts ? parts.join(path.sep) : '';
}

// mainFile is the file require() loads for the package, as node resolves
// "main": with .js added, or index.js inside it, when it names neither.
function mainFile(dir, main) {
  const f = path.resolve(dir, main || 'index.js');
  if (/\.(c|m)?js$/.test(f)) return f;
  if (fs.existsSync(f + '.js') || !fs.existsSync(f)) return f + '.js';
  return path.join(f, 'index.js');
}

// requireTargets lists the files an "exports" map names for require(): the
// targets under its require, node and default conditions, and plain strings.
function requireTargets(exp) {
  if (typeof exp === 'string') return [exp];
  if (Array.isArray(exp)) return exp.flatMap(requireTargets);
  if (exp === null || typeof exp !== 'object') return [];
  return Object.entries(exp).flatMap(([k, v]) =>
    k.startsWith('.') || ['require', 'node', 'default'].includes(k) ? requireTargets(v) : []
  );
}

// plan decides, per package, how its "main" gets built.
function plan(dir) {
  const file = path.join(dir, 'package.json');
  let pkg;
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file}: ${e.message.split('\n')[0]}`);
  }
  const main = mainFile(dir, pkg.main);
  const ts = typescriptFor(dir);
  for (const file of projectsOf(dir, pkg)) {
    const cfg = parseProject(ts, file);
    const outDir = cfg.options.outDir;
    if (!outDir || !main.startsWith(path.resolve(outDir) + path.sep)) continue;
    if (cfg.fileNames.length === 0) return { how: 'empty', dir, pkg, file };
    const writes = cfg.fileNames.some((f) => ts.getOutputFileNames(cfg, f, false).map((o) => path.resolve(o)).includes(main));
    // An "exports" map wins over "main" in require(): every file it names
    // for require must come from the same project, or the package builds
    // itself.
    const targets = requireTargets(pkg.exports);
    const outside = targets.find((t) => !path.resolve(dir, t.split('*')[0]).startsWith(path.resolve(outDir) + path.sep));
    if (writes && !outside) return { how: 'transpile', dir, pkg, file, cfg, ts, main, targets };
  }
  if (!(pkg.scripts && pkg.scripts.build)) fail(`${pkg.name} (${dir}): no tsc project writes its main ${pkg.main} and it has no build script`);
  return { how: 'own', dir, pkg, main };
}

function transpile(p) {
  const { ts, cfg } = p;
  const inputs = new Set(cfg.fileNames.map((f) => path.resolve(f)));
  const sources = [...inputs].filter((f) => !/\.d\.(ts|mts|cts)$/.test(f));
  const root = path.resolve(cfg.options.rootDir || commonDir(sources));
  const outDir = path.resolve(cfg.options.outDir);
  let n = 0;
  for (const f of sources) {
    const outs = ts.getOutputFileNames(cfg, f, false).map((o) => path.resolve(o));
    const js = outs.find((o) => /\.(c|m)?js$/.test(o));
    if (!js) continue;
    fs.mkdirSync(path.dirname(js), { recursive: true });
    if (!isSource(f) && !/\.(c|m)?jsx?$/.test(f)) {
      fs.copyFileSync(f, js); // a JSON module: tsc copies it
      n++;
      continue;
    }
    const text = fs.readFileSync(f, 'utf8');
    const constEnum = /^[ \t]*(export[ \t]+)?(declare[ \t]+)?const[ \t]+enum\b/m.exec(text);
    if (constEnum) {
      const line = text.slice(0, constEnum.index).split('\n').length;
      fail(`${p.pkg.name}: ${f}:${line}: a const enum, which a file-by-file build cannot inline into other files; build this release with its own build instead`);
    }
    const r = ts.transpileModule(text, {
      compilerOptions: cfg.options,
      fileName: f,
      reportDiagnostics: true,
    });
    const errors = (r.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      const d = errors[0];
      const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : f;
      fail(`${p.pkg.name}: ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    }
    fs.writeFileSync(js, r.outputText);
    if (r.sourceMapText) {
      const map = outs.find((o) => o === js + '.map');
      if (map) fs.writeFileSync(map, r.sourceMapText);
    }
    n++;
  }
  // The non-TypeScript files of the source folder, beside the output.
  let copied = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && path.resolve(f) !== outDir) walk(f);
        continue;
      }
      if (!e.isFile() || inputs.has(f) || isSource(f) || /\.d\.(ts|mts|cts)$/.test(f)) continue;
      const to = path.join(outDir, path.relative(root, f));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
      copied++;
    }
  };
  // Only a source folder inside the package: from the package's own folder
  // this would copy package.json and the like into the output.
  if (root.startsWith(p.dir + path.sep)) walk(root);
  for (const f of [p.main, ...p.targets.filter((t) => !t.includes('*')).map((t) => path.resolve(p.dir, t))]) {
    if (!fs.existsSync(f)) fail(`${p.pkg.name}: ${path.relative(p.dir, p.file)} did not write ${path.relative(p.dir, f)}, which require() loads`);
  }
  return `${n} files transpiled, ${copied} copied (${path.relative(p.dir, p.file)} → ${path.relative(p.dir, outDir)})`;
}

const t0 = Date.now();
const plans = dirs.map(plan);
const byName = new Map(plans.map((p) => [p.pkg.name, p]));
// Own builds: the packages transpiling cannot serve, and the given packages they
// depend on, dependencies first.
const own = [];
const visit = (p) => {
  if (own.includes(p)) return;
  const deps = { ...p.pkg.dependencies, ...p.pkg.devDependencies, ...p.pkg.peerDependencies };
  for (const name of Object.keys(deps)) if (byName.has(name)) visit(byName.get(name));
  own.push(p);
};
plans.filter((p) => p.how === 'own').forEach(visit);

for (const p of plans) {
  if (own.includes(p)) continue;
  const t = Date.now();
  if (p.how === 'empty') {
    console.log(`build-cjs: ${p.pkg.name}: ${path.relative(p.dir, p.file)} has no input files; nothing to build`);
    continue;
  }
  console.log(`build-cjs: ${p.pkg.name}: ${transpile(p)} in ${Date.now() - t} ms`);
}
for (const p of own) {
  const why = p.how === 'own' ? `no tsc project writes its main ${p.pkg.main}` : 'a package built by its own build depends on it';
  console.log(`build-cjs: ${p.pkg.name}: its own build (${why}): pnpm run build`);
  const r = spawnSync('pnpm', ['run', 'build'], { cwd: p.dir, stdio: 'inherit' });
  if (r.status !== 0) fail(`${p.pkg.name}: pnpm run build ${r.error ? `failed: ${r.error.message}` : `exited ${r.status}`}`);
}
console.log(`build-cjs: ${plans.length} packages (${own.length} by their own build) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
