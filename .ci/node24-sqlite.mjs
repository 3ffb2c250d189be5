// Preloaded (--import, through NODE_OPTIONS so spawned children get it too) by .ci/node24.
// node_modules' better-sqlite3 addon is compiled for the machine's Node and cannot load in Node 24;
// whoever asks for it (better-sqlite3 through `bindings`, under jest or not) gets the copy compiled
// for Node 24 instead, named by BETTER_SQLITE3_NODE24. Nothing on disk changes.
import { basename } from 'node:path';

const node24Build = process.env.BETTER_SQLITE3_NODE24;
if (!node24Build) throw new Error('BETTER_SQLITE3_NODE24 is not set (see .ci/node24)');

const dlopen = process.dlopen;
process.dlopen = function dlopenNode24Build(module, filename, ...flags) {
  const wanted = basename(filename) === 'better_sqlite3.node' ? node24Build : filename;
  return dlopen.call(this, module, wanted, ...flags);
};
