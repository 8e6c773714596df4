#!/usr/bin/env node
// `node scripts/stale.js TARGET SOURCE...` exits 0 when TARGET is missing or older than one of the SOURCEs
// (files or folders: a folder counts with everything in it, and with its own time, which moves when a file in
// it is added, removed or renamed), and 1 when it is up to date: a task step's condition, so that `npm test`
// compiles on a fresh clone without redoing what the build did. A check that cannot decide says stale.
'use strict';
const { existsSync, readdirSync, statSync } = require('fs');
const { join } = require('path');

const [target, ...sources] = process.argv.slice(2);
const newest = (p) => {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p, { recursive: true }).map((name) => statSync(join(p, name)).mtimeMs));
};
let stale = true;
try {
  stale = !existsSync(target) || sources.some((s) => newest(s) > statSync(target).mtimeMs);
} catch (e) {
  console.error(`stale.js: ${e.message}; treating ${target} as stale`);
}
process.exit(stale ? 0 : 1);
