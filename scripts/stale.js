#!/usr/bin/env node
// `node scripts/stale.js TARGET SOURCE...` exits 0 when TARGET is missing or older than a file in one of the
// SOURCEs (files or folders, recursively), and 1 when it is up to date: a task step's condition, so that
// `npm test` compiles and extracts the README examples on a fresh clone without redoing what the build did.
'use strict';
const { existsSync, readdirSync, statSync } = require('fs');
const { join } = require('path');

const [target, ...sources] = process.argv.slice(2);
const newest = (p) => {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(p).map((name) => newest(join(p, name))));
};
const stale = !existsSync(target) || sources.some((s) => newest(s) > statSync(target).mtimeMs);
process.exit(stale ? 0 : 1);
