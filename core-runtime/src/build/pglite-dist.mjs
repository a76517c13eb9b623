#!/usr/bin/env node
// Build-time script of pglite-java (not part of the library), run by the Maven build of core-runtime.
//
//   node pglite-dist.mjs fetch    --package NAME --version V --integrity sha512-... --postgres-version 18.6
//                                 --npm-dir target/pglite-npm --out <resource folder>
//   node pglite-dist.mjs manifest --dir <resource folder> --facts <facts file> [--fact key=value]...
//
// fetch: `npm pack NAME@V` into --npm-dir (skipped when a tarball with the pinned integrity is already
// there, so rebuilds work offline), checks the tarball's sha512 against --integrity, unpacks it,
// checks the PostgreSQL/PGlite versions inside pglite.wasm, writes the file index of pglite.data
// (from the file-packager table in dist/pglite.js) and copies pglite.data and the contrib bundles
// into the resource folder. Writes nothing outside --npm-dir and --out (no package.json, no lockfile).
//
// manifest: lists every file of the resource folder with size and SHA-256, plus distribution facts.
//
//   node pglite-dist.mjs fetch-tool --package NAME --version V --integrity sha512-... --npm-dir DIR
//
// fetch-tool: a build tool published on npm (binaryen): `npm pack NAME@V` into DIR (skipped when the
// pinned tarball is there), sha512 check, unpack to DIR/package. Nothing is installed or run by npm.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const TAG = '[pglite-dist]';
const MANIFEST_NAME = 'distribution.manifest';
const INDEX_NAME = 'pglite.data.index';
const FACTS_NAME = 'facts.tsv';

function fail(message) {
  console.error(`${TAG} ERROR: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { fact: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) fail(`bad argument ${key}`);
    const name = key.slice(2);
    if (name === 'fact') opts.fact.push(argv[i + 1]);
    else opts[name] = argv[i + 1];
  }
  return opts;
}

function need(opts, ...names) {
  for (const n of names) if (!opts[n]) fail(`missing --${n}`);
}

const sha512Integrity = (buf) => 'sha512-' + createHash('sha512').update(buf).digest('base64');
const sha256Hex = (buf) => createHash('sha256').update(buf).digest('hex');
const ms = (t0) => Math.round(performance.now() - t0);

// ------------------------------------------------------------------------------------------ fetch

function tarballName(pkg, version) {
  // npm pack names a scoped package "@scope/name" as "scope-name-VERSION.tgz"
  return `${pkg.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

function npmPack(pkg, version, dir) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['pack', `${pkg}@${version}`, '--pack-destination', dir, '--json',
    '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
  console.log(`${TAG} npm ${args.join(' ')}`);
  const r = spawnSync(npm, args, { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.error) fail(`could not run npm (${r.error.message}); node and npm are needed for a build without ${dir}`);
  if (r.status !== 0) fail(`npm pack ${pkg}@${version} failed (exit ${r.status}):\n${r.stderr}`);
}

/** Minimal tar reader (ustar, GNU long names, pax path): returns [{name, type, data}]. */
function untar(buf) {
  const entries = [];
  let off = 0;
  let longName = null;
  const str = (b, s, n) => { const x = b.subarray(s, s + n); const z = x.indexOf(0); return x.subarray(0, z < 0 ? n : z).toString('utf8'); };
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    let name = str(h, 0, 100);
    const size = parseInt(str(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = str(h, 345, 155);
    if (prefix && h.subarray(257, 262).toString() === 'ustar') name = `${prefix}/${name}`;
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = str(data, 0, data.length); continue; }
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    if (type === 'g') continue;
    if (longName) { name = longName; longName = null; }
    entries.push({ name, type, data });
  }
  return entries;
}

function unpack(tarball, destRoot) {
  const entries = untar(zlib.gunzipSync(fs.readFileSync(tarball)));
  fs.rmSync(path.join(destRoot, 'package'), { recursive: true, force: true });
  let files = 0;
  for (const e of entries) {
    const rel = path.normalize(e.name);
    if (path.isAbsolute(rel) || rel.split(path.sep).includes('..')) fail(`unsafe path in tarball: ${e.name}`);
    const target = path.join(destRoot, rel);
    if (e.type === '5') { fs.mkdirSync(target, { recursive: true }); continue; }
    if (e.type !== '0' && e.type !== '\0' && e.type !== '7') continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, e.data);
    files++;
  }
  return files;
}

/** The file-packager table and FS_createPath calls of the Emscripten glue. */
function parseFileTable(js) {
  const sizeMatch = /["']?remote_package_size["']?\s*:\s*(\d+)/.exec(js);
  if (!sizeMatch) fail('pglite.js: no "remote_package_size: N" literal (file-packager block not found)');
  let filesStart = -1;
  for (const m of js.slice(0, sizeMatch.index).matchAll(/["']?files["']?\s*:\s*\[/g)) filesStart = m.index;
  if (filesStart < 0) fail('pglite.js: no "files: [" list before remote_package_size');
  const table = js.slice(filesStart, sizeMatch.index);
  const entryRe = /\{\s*["']?filename["']?\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*["']?start["']?\s*:\s*(\d+)\s*,\s*["']?end["']?\s*:\s*(\d+)\s*\}/g;
  const files = [];
  for (const m of table.matchAll(entryRe)) {
    files.push({ path: JSON.parse(`"${m[1]}"`), start: Number(m[2]), end: Number(m[3]) });
  }
  const dirs = [];
  const dirRe = /FS_createPath["']?\]?\s*\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*"((?:[^"\\]|\\.)*)"/g;
  for (const m of js.matchAll(dirRe)) {
    const parent = JSON.parse(`"${m[1]}"`);
    const name = JSON.parse(`"${m[2]}"`);
    dirs.push(parent === '/' ? `/${name}` : `${parent}/${name}`);
  }
  return { files, dirs, packageSize: Number(sizeMatch[1]) };
}

function checkTable({ files, dirs, packageSize }, dataSize) {
  if (files.length === 0) fail('pglite.js: the file-packager table is empty');
  if (packageSize !== dataSize) fail(`pglite.js says remote_package_size=${packageSize}, pglite.data has ${dataSize} bytes`);
  const seen = new Set();
  for (const f of files) {
    if (!f.path.startsWith('/') || f.path.includes('\t') || f.path.includes('\n')) fail(`bad path ${JSON.stringify(f.path)}`);
    if (!(f.start >= 0 && f.start <= f.end && f.end <= dataSize)) fail(`entry ${f.path} [${f.start},${f.end}) outside pglite.data`);
    if (seen.has(f.path)) fail(`duplicate entry ${f.path}`);
    seen.add(f.path);
  }
  // Directories: every one FS_createPath makes, plus any parent a file needs that it does not.
  const all = [...new Set(dirs)];
  const known = new Set(all);
  const implied = [];
  for (const f of files) {
    let d = path.posix.dirname(f.path);
    const chain = [];
    while (d !== '/' && !known.has(d)) { chain.unshift(d); d = path.posix.dirname(d); }
    for (const c of chain) { known.add(c); all.push(c); implied.push(c); }
  }
  const withFiles = new Set();
  for (const f of files) for (let d = path.posix.dirname(f.path); d !== '/'; d = path.posix.dirname(d)) withFiles.add(d);
  const empty = all.filter((d) => !withFiles.has(d));
  return { dirs: all, implied, empty };
}

function writeIndex(file, { files }, dirs, source) {
  const lines = [
    `# Files placed from pglite.data by the Emscripten file packager (source: ${source}).`,
    '# kind<TAB>start<TAB>end<TAB>path; kind d = directory created with FS_createPath (start = end = 0),',
    '# kind f = file whose bytes are pglite.data[start, end).',
  ];
  for (const d of dirs) lines.push(`d\t0\t0\t${d}`);
  for (const f of files) lines.push(`f\t${f.start}\t${f.end}\t${f.path}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** npm pack (unless the pinned tarball is there) + integrity check + unpack; returns the integrity. */
function fetchVerified(opts, npmDir) {
  fs.mkdirSync(npmDir, { recursive: true });
  const tarball = path.join(npmDir, tarballName(opts.package, opts.version));

  let fetched = false;
  if (fs.existsSync(tarball)) {
    const actual = sha512Integrity(fs.readFileSync(tarball));
    if (actual === opts.integrity) {
      console.log(`${TAG} ${path.basename(tarball)} already present and verified: npm skipped (offline build)`);
    } else {
      console.log(`${TAG} ${path.basename(tarball)} present but its sha512 is ${actual}, expected ${opts.integrity}: fetching again`);
      fs.rmSync(tarball);
    }
  }
  if (!fs.existsSync(tarball)) {
    const tPack = performance.now();
    npmPack(opts.package, opts.version, npmDir);
    if (!fs.existsSync(tarball)) fail(`npm pack did not produce ${tarball}`);
    console.log(`${TAG} npm pack took ${ms(tPack)} ms`);
    fetched = true;
  }
  const tarBytes = fs.readFileSync(tarball);
  const actual = sha512Integrity(tarBytes);
  if (actual !== opts.integrity) {
    fs.renameSync(tarball, `${tarball}.rejected`);
    fail(`integrity mismatch for ${opts.package}@${opts.version} (${path.basename(tarball)}):\n`
      + `  expected ${opts.integrity}\n  actual   ${actual}\n`
      + `the tarball was moved to ${path.basename(tarball)}.rejected; check the pinned integrity in pom.xml`);
  }

  // Unpack (again only when the tarball changed since the last unpack).
  const stamp = path.join(npmDir, 'package', '.unpacked');
  if (fetched || !fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== actual) {
    const n = unpack(tarball, npmDir);
    fs.writeFileSync(stamp, actual);
    console.log(`${TAG} unpacked ${n} files into ${path.join(npmDir, 'package')}`);
  }
  const pkgJson = JSON.parse(fs.readFileSync(path.join(npmDir, 'package', 'package.json'), 'utf8'));
  if (pkgJson.name !== opts.package || pkgJson.version !== opts.version) {
    fail(`package.json says ${pkgJson.name}@${pkgJson.version}, expected ${opts.package}@${opts.version}`);
  }
  return actual;
}

function fetchToolCommand(opts) {
  need(opts, 'package', 'version', 'integrity', 'npm-dir');
  const t0 = performance.now();
  fetchVerified(opts, path.resolve(opts['npm-dir']));
  console.log(`${TAG} ${opts.package}@${opts.version} ready in ${ms(t0)} ms`);
}

function fetchCommand(opts) {
  need(opts, 'package', 'version', 'integrity', 'npm-dir', 'out', 'postgres-version');
  const t0 = performance.now();
  const npmDir = path.resolve(opts['npm-dir']);
  const out = path.resolve(opts.out);
  const actual = fetchVerified(opts, npmDir);
  const dist = path.join(npmDir, 'package', 'dist');

  // Versions: package.json (checked above) and the version string compiled into pglite.wasm.
  const wasm = fs.readFileSync(path.join(dist, 'pglite.wasm'));
  // 0.5.x says "PostgreSQL 18.6 (PGlite 0.5.16) on ..."; 0.4.x only "PostgreSQL 17.5 on wasm32-...", so there
  // the package version checked above is the only PGlite version to check.
  const vm = /PostgreSQL (\d+(?:\.\d+)+) (?:\(PGlite ([0-9][0-9A-Za-z.+-]*)\) )?on wasm32[^\0]*/.exec(wasm.toString('latin1'));
  if (!vm) fail('pglite.wasm: no "PostgreSQL X.Y [(PGlite V)] on wasm32" version string');
  if (vm[1] !== opts['postgres-version']) fail(`pglite.wasm is PostgreSQL ${vm[1]}, pom says pglite.postgres.version=${opts['postgres-version']}`);
  if (vm[2] !== undefined && vm[2] !== opts.version) fail(`pglite.wasm says PGlite ${vm[2]}, expected ${opts.version}`);

  // File index from the glue's file-packager block.
  const js = fs.readFileSync(path.join(dist, 'pglite.js'), 'utf8');
  const table = parseFileTable(js);
  const dataFile = path.join(dist, 'pglite.data');
  const dataSize = fs.statSync(dataFile).size;
  const { dirs, implied, empty } = checkTable(table, dataSize);

  fs.mkdirSync(out, { recursive: true });
  writeIndex(path.join(out, INDEX_NAME), table, dirs, `${opts.package}@${opts.version} dist/pglite.js`);
  fs.copyFileSync(dataFile, path.join(out, 'pglite.data'));
  const extDir = path.join(out, 'extensions');
  fs.rmSync(extDir, { recursive: true, force: true });
  fs.mkdirSync(extDir, { recursive: true });
  const bundles = fs.readdirSync(dist).filter((f) => f.endsWith('.tar.gz')).sort();
  for (const b of bundles) fs.copyFileSync(path.join(dist, b), path.join(extDir, b));

  const facts = [
    ['npm.package', opts.package],
    ['npm.version', opts.version],
    ['npm.integrity', opts.integrity],
    ['postgres.version', vm[1]],
    ['postgres.versionString', vm[0]],
  ];
  fs.writeFileSync(path.join(npmDir, FACTS_NAME), facts.map((f) => f.join('\t')).join('\n') + '\n');

  console.log(`${TAG} ${opts.package}@${opts.version}: ${vm[0]}`);
  console.log(`${TAG} ${INDEX_NAME}: ${table.files.length} files, ${dirs.length} directories`
    + ` (${implied.length} implied by file paths only${implied.length ? ': ' + implied.join(' ') : ''};`
    + ` ${empty.length} without files${empty.length ? ': ' + empty.join(' ') : ''}); ${bundles.length} extension bundles`);
  console.log(`${TAG} fetch step done in ${ms(t0)} ms`);
}

// --------------------------------------------------------------------------------------- manifest

function walk(dir, base = dir, acc = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, acc);
    else if (e.isFile()) acc.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return acc;
}

function manifestCommand(opts) {
  need(opts, 'dir', 'facts');
  const t0 = performance.now();
  const dir = path.resolve(opts.dir);
  const facts = fs.readFileSync(opts.facts, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
  for (const f of opts.fact) {
    const eq = f.indexOf('=');
    if (eq < 1) fail(`--fact wants key=value, got ${f}`);
    facts.push([f.slice(0, eq), f.slice(eq + 1)]);
  }
  const names = walk(dir).filter((n) => n !== MANIFEST_NAME).sort();
  const lines = [
    '# pglite-java distribution manifest, format 1 (tab-separated).',
    '# fact<TAB>key<TAB>value',
    '# resource<TAB>name relative to this folder<TAB>size in bytes<TAB>SHA-256 (hex)',
  ];
  for (const [k, v] of facts) {
    if (/[\t\n]/.test(k + v)) fail(`fact ${k} has a tab or newline`);
    lines.push(`fact\t${k}\t${v}`);
  }
  let total = 0;
  for (const n of names) {
    if (/[\t\n]/.test(n)) fail(`resource name ${JSON.stringify(n)} has a tab or newline`);
    const bytes = fs.readFileSync(path.join(dir, n));
    total += bytes.length;
    lines.push(`resource\t${n}\t${bytes.length}\t${sha256Hex(bytes)}`);
  }
  fs.writeFileSync(path.join(dir, MANIFEST_NAME), lines.join('\n') + '\n');
  console.log(`${TAG} ${MANIFEST_NAME}: ${names.length} resources, ${total} bytes, in ${ms(t0)} ms`);
}

// ------------------------------------------------------------------------------------------- main

const [command, ...rest] = process.argv.slice(2);
const opts = parseArgs(rest);
if (command === 'fetch') fetchCommand(opts);
else if (command === 'fetch-tool') fetchToolCommand(opts);
else if (command === 'manifest') manifestCommand(opts);
else fail(`unknown command ${command}; use fetch, fetch-tool or manifest`);
