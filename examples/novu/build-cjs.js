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
// - For each package, its `build` script is read, with the scripts it reaches
//   (npm/pnpm/yarn run, run-p, run-s, npm-run-all, pre and post scripts). When
//   it runs nothing but `tsc [-p X]`, rimraf and cpx, and one of those tsc
//   projects writes "main" (and every file "exports" names for require), every
//   input file of that project is transpiled with ts.transpileModule, the
//   compiler's per-file emit (what ts-node --transpile-only does for the API),
//   to the path tsc would write it to. JSON inputs are copied as tsc copies
//   them. Type errors are not looked for: they were the release's CI's
//   concern, and tsc emits the same code with or without them.
//   Emitting file by file differs from tsc's whole-program emit in three ways,
//   none of which changes what runs: a re-export of a type becomes a getter
//   that returns undefined; the decorator metadata of an imported type is
//   looked up when the file loads (`typeof X !== "undefined" && X`, else Object)
//   instead of being resolved at build time; and at target ES5 an async
//   function annotated `Promise<…>` passes that Promise to __awaiter instead of
//   leaving it to default to the same global (tsc accepts no other annotation
//   there). A const enum would break: the script refuses a package whose own
//   files (sources or declarations) declare one. One it imports from another
//   package's declarations is not detected; none of these releases has one.
// - Files of the project's source folder that are not TypeScript (templates,
//   JSON…) are copied beside the output, in place of the packages' own copy steps
//   (application-generic's build:copy-template, with cpx).
// - A project with no input files builds nothing: Novu's enterprise packages are
//   empty folders in the public tree, and their own build skips them too.
// - Any other package runs its own `pnpm run build`: one whose build runs
//   anything else (a bundler such as @novu/framework's tsup, tsc with other
//   flags, tsc-alias…), or whose "main" no tsc project writes. The given
//   packages it depends on run theirs first, since its build may read their
//   type declarations, which transpiling does not write.
//
// It fails, naming the package and the file, when a source does not parse or
// declares a const enum, when a project's output lacks a file require() loads,
// when a relative require() in the output finds no file (tsc compiles what the
// included files import; this script compiles only the included files), or
// when an own build fails.
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

// commands splits a package script into its shell commands.
const commands = (script) => script.split(/&&|\|\||;|\|/);

// words splits one shell command into words, quotes removed.
const words = (cmd) => (cmd.match(/"[^"]*"|'[^']*'|\S+/g) || []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));

// buildSteps reads what the package's build runs: the scripts that `build`
// reaches (through npm/pnpm/yarn run, run-p, run-s, npm-run-all, and their
// pre and post scripts), the tsconfig files passed to tsc there (tsconfig.json
// when none is named), and the first command this script does not reproduce
// (anything but tsc [-p X], rimraf and cpx, whose copy the asset copy covers).
function buildSteps(pkg, dir) {
  const scripts = pkg.scripts || {};
  const projects = [];
  let unknown = null;
  const seen = new Set();
  const runScript = (name) => {
    for (const n of [`pre${name}`, name, `post${name}`]) {
      if (seen.has(n) || !(n in scripts)) continue;
      seen.add(n);
      commands(scripts[n]).forEach(runCommand);
    }
  };
  const runCommand = (cmd) => {
    let w = words(cmd);
    while (w.length > 0 && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w[0]) || path.basename(w[0]) === 'cross-env')) w = w.slice(1);
    if (w.length === 0) return;
    const tool = path.basename(w[0]);
    const args = w.slice(1);
    switch (tool) {
      case 'tsc': {
        const rest = [];
        let project = 'tsconfig.json';
        for (let i = 0; i < args.length; i++) {
          if ((args[i] === '-p' || args[i] === '--project') && i + 1 < args.length) project = args[++i];
          else rest.push(args[i]);
        }
        if (rest.length > 0) unknown = unknown || cmd.trim();
        let file = path.resolve(dir, project);
        if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'tsconfig.json');
        if (!projects.includes(file)) projects.push(file);
        return;
      }
      case 'rimraf':
      case 'cpx':
        return;
      case 'npm':
      case 'pnpm':
      case 'yarn': {
        const a = args.filter((x) => !x.startsWith('-'));
        const name = a[0] === 'run' || a[0] === 'run-script' ? a[1] : a[0];
        if (name !== undefined && name in scripts) return runScript(name);
        break;
      }
      case 'run-p':
      case 'run-s':
      case 'npm-run-all':
        for (const pat of args.filter((x) => !x.startsWith('-'))) {
          const re = new RegExp('^' + pat.split('**').map((x) => x.split('*').map((y) => y.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^:]*')).join('.*') + '$');
          for (const n of Object.keys(scripts)) if (re.test(n)) runScript(n);
        }
        return;
    }
    unknown = unknown || cmd.trim();
  };
  if ('build' in scripts) runScript('build');
  // The projects of build scripts that `build` does not reach (build:esm of
  // a package whose build first checks for its sources) still say where
  // the output would go, so that an empty one is recognised as such.
  const found = unknown;
  const reached = new Set(projects);
  for (const [n, script] of Object.entries(scripts)) {
    if (/^build(:|$)/.test(n) && !seen.has(n)) commands(script).forEach(runCommand);
  }
  unknown = found;
  if (!projects.includes(path.join(dir, 'tsconfig.json'))) projects.push(path.join(dir, 'tsconfig.json'));
  return { projects: projects.filter((f) => fs.existsSync(f)), reached, unknown };
}

function parseProject(ts, file) {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => fail(`${file}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`),
  };
  return ts.getParsedCommandLineOfConfigFile(file, undefined, host);
}

const isDeclaration = (f) => /\.d\.(ts|mts|cts)$/.test(f);
const isSource = (f) => /\.(ts|tsx|mts|cts)$/.test(f) && !isDeclaration(f);

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

// mainFiles are the files require() may load for the package's "main", in
// node's order: the file itself, with .js added, or index.js inside it.
function mainFiles(dir, main) {
  const f = path.resolve(dir, main || 'index.js');
  return /\.(c|m)?js$/.test(f) ? [f] : [f + '.js', path.join(f, 'index.js')];
}

// under reports whether f is dir or inside it.
const under = (f, dir) => f === dir || f.startsWith(dir + path.sep);

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
  const mains = mainFiles(dir, pkg.main);
  const ts = typescriptFor(dir);
  const steps = buildSteps(pkg, dir);
  let why = `no tsc project of its build writes its main ${pkg.main || 'index.js'}`;
  for (const file of steps.projects) {
    const cfg = parseProject(ts, file);
    if (!cfg.options.outDir) continue;
    const outDir = path.resolve(cfg.options.outDir);
    if (!mains.some((m) => under(m, outDir))) continue;
    if (cfg.fileNames.length === 0) return { how: 'empty', dir, pkg, file };
    const outputs = new Set(cfg.fileNames.flatMap((f) => ts.getOutputFileNames(cfg, f, false).map((o) => path.resolve(o))));
    const main = mains.find((m) => outputs.has(m));
    if (!main) continue;
    // An "exports" map wins over "main" in require(): every file it names
    // for require must come from the same project (or be a file of the
    // package as it is, such as ./package.json), or the package builds itself.
    const targets = requireTargets(pkg.exports);
    const outside = targets.find((t) => {
      const r = path.resolve(dir, t.split('*')[0]);
      return !under(r, outDir) && !(t.includes('*') ? false : fs.existsSync(r));
    });
    if (outside) {
      why = `its exports name ${outside} for require, outside ${path.relative(dir, outDir)}`;
      continue;
    }
    if (!steps.reached.has(file) && steps.reached.size > 0) {
      why = `the project that writes its main, ${path.relative(dir, file)}, is not one its build runs`;
      break;
    }
    if (steps.unknown) {
      why = `its build runs "${steps.unknown}", which transpiling does not reproduce`;
      break;
    }
    return { how: 'transpile', dir, pkg, file, cfg, ts, main, targets: targets.filter((t) => !t.includes('*')).map((t) => path.resolve(dir, t)) };
  }
  if (!(pkg.scripts && pkg.scripts.build)) fail(`${pkg.name} (${dir}): ${why}, and it has no build script`);
  return { how: 'own', dir, pkg, why };
}

// refuseConstEnum fails when file f of package p declares a const enum, which
// a file-by-file build cannot inline into the files that use it; the parse
// makes comments and strings not count.
function refuseConstEnum(p, f, text) {
  if (!/\bconst\b/.test(text) || !/\benum\b/.test(text)) return;
  const { ts } = p;
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (n.kind === ts.SyntaxKind.EnumDeclaration && (n.modifiers || []).some((m) => m.kind === ts.SyntaxKind.ConstKeyword)) {
      const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
      fail(`${p.pkg.name}: ${f}:${line}: a const enum, which a file-by-file build cannot inline into other files; build this release with its own build instead`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

// resolvesTo reports whether a relative require() from file finds a file,
// the way node looks: as is, with .js, .json or .node added, or index.js.
function resolvesTo(file, spec) {
  const f = path.resolve(path.dirname(file), spec);
  return [f, f + '.js', f + '.json', f + '.node', f + '.cjs', path.join(f, 'index.js'), path.join(f, 'index.json')].some(
    (c) => fs.existsSync(c) && fs.statSync(c).isFile()
  );
}

function transpile(p) {
  const { ts, cfg } = p;
  const inputs = new Set(cfg.fileNames.map((f) => path.resolve(f)));
  const sources = [...inputs].filter((f) => !isDeclaration(f));
  // tsc's source root: rootDir, else the project's folder for a composite
  // project, else the deepest folder holding every source.
  const root = path.resolve(cfg.options.rootDir || (cfg.options.composite ? path.dirname(p.file) : commonDir(sources)));
  const outDir = path.resolve(cfg.options.outDir);
  for (const f of [...inputs].filter(isDeclaration)) refuseConstEnum(p, f, fs.readFileSync(f, 'utf8'));
  let n = 0;
  const written = [];
  for (const f of sources) {
    const outs = ts.getOutputFileNames(cfg, f, false).map((o) => path.resolve(o));
    if (/\.json$/.test(f)) {
      const to = outs.find((o) => /\.json$/.test(o)); // tsc copies a JSON module it includes
      if (to && to !== f) {
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(f, to);
        n++;
      }
      continue;
    }
    const js = outs.find((o) => /\.(c|m)?js$/.test(o));
    if (!js) continue;
    const text = fs.readFileSync(f, 'utf8');
    refuseConstEnum(p, f, text);
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
    fs.mkdirSync(path.dirname(js), { recursive: true });
    fs.writeFileSync(js, r.outputText);
    written.push([js, r.outputText]);
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
      if (!e.isFile() || inputs.has(f) || isSource(f) || isDeclaration(f)) continue;
      const to = path.join(outDir, path.relative(root, f));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
      copied++;
    }
  };
  // Only a source folder inside the package: from the package's own folder
  // this would copy package.json and the like into the output.
  if (root.startsWith(p.dir + path.sep)) walk(root);
  for (const f of [p.main, ...p.targets]) {
    if (!fs.existsSync(f)) fail(`${p.pkg.name}: ${path.relative(p.dir, p.file)} did not write ${path.relative(p.dir, f)}, which require() loads`);
  }
  // tsc also compiles what the included files import; this script compiles
  // only the included files. A relative require() that finds nothing means
  // the project relied on that.
  for (const [js, text] of written) {
    for (const m of text.matchAll(/\brequire\("(\.\.?\/[^"]*|\.\.?)"\)/g)) {
      if (!resolvesTo(js, m[1])) {
        fail(`${p.pkg.name}: ${path.relative(p.dir, js)} requires "${m[1]}", which is not written: the file is not among ${path.relative(p.dir, p.file)}'s inputs (tsc compiles what they import; this script does not)`);
      }
    }
  }
  return `${n} files transpiled, ${copied} copied (${path.relative(p.dir, p.file)} → ${path.relative(p.dir, outDir)})`;
}

const t0 = Date.now();
const plans = dirs.map(plan);
const byName = new Map(plans.map((p) => [p.pkg.name, p]));
// Own builds: the packages transpiling cannot serve, and the given packages they
// depend on, dependencies first.
const own = [];
const visiting = new Set();
const visit = (p) => {
  if (own.includes(p) || visiting.has(p)) return; // a cycle: pnpm's own order decides
  visiting.add(p);
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
  const why = p.how === 'own' ? p.why : 'a package built by its own build depends on it';
  console.log(`build-cjs: ${p.pkg.name}: its own build (${why}): pnpm run build`);
  const r = spawnSync('pnpm', ['run', 'build'], { cwd: p.dir, stdio: 'inherit' });
  if (r.status !== 0) fail(`${p.pkg.name}: pnpm run build ${r.error ? `failed: ${r.error.message}` : `exited ${r.status}`}`);
}
console.log(`build-cjs: ${plans.length} packages (${own.length} by their own build) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
