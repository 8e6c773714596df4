#!/usr/bin/env node
// Makes `npm test` and `npm run demo` work on a fresh clone: installs the locked dependencies with
// `npm ci` when node_modules is missing or older than package-lock.json. `npm ci` never rewrites the
// lock file, so a clone stays clean. Plain Node.js, no dependencies of its own.
'use strict';
const { existsSync, statSync } = require('fs');
const { join } = require('path');
const { spawnSync } = require('child_process');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  console.error('[bootstrap] installing the locked dependencies (npm ci) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error('[bootstrap] npm ci failed. If it says package.json and package-lock.json are out of sync, '
      + 'run `npm install` to update the lock file (and commit it).');
    process.exit(result.status ?? 1);
  }
}
