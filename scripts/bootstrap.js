#!/usr/bin/env node
// Makes `npm test` and `npm run demo` work on a fresh clone: installs the locked dependencies when
// node_modules is missing or older than package-lock.json. Plain Node.js, no dependencies of its own.
'use strict';
const { existsSync, statSync } = require('fs');
const { join } = require('path');
const { execSync } = require('child_process');

const root = join(__dirname, '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
if (stale) {
  // `npm install` honours the lock file; `npm ci` refuses a lock without other platforms' optional
  // native bindings, which this registry does not serve.
  console.error('[bootstrap] installing dependencies (npm install) ...');
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
