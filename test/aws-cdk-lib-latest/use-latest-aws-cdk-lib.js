// Preloaded (node -r) by the latest-aws-cdk-lib check: every `aws-cdk-lib` import, from the tests and from
// the construct library alike, resolves to the newest aws-cdk-lib installed beside the floor, and the
// library is the jsii-compiled lib/ (what ships) instead of src/. `constructs` stays the one installed
// copy, so the construct tree built by both packages is one tree.
'use strict';
const Module = require('module');
const path = require('path');

const root = path.join(__dirname, '..', '..');
const src = path.join(root, 'src') + path.sep;
const resolve = Module._resolveFilename;

Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'aws-cdk-lib' || request.startsWith('aws-cdk-lib/')) {
    return resolve.call(this, request.replace(/^aws-cdk-lib/, 'aws-cdk-lib-latest'), parent, ...rest);
  }
  const resolved = resolve.call(this, request, parent, ...rest);
  if (resolved.startsWith(src) && resolved.endsWith('.ts')) {
    return path.join(root, 'lib', resolved.slice(src.length).replace(/\.ts$/, '.js'));
  }
  return resolved;
};
