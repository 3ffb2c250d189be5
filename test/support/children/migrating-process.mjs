// A process that opens the database as a broker or worker does at start (migrations included),
// waiting for a go file first so that several start migrating at the same instant. Plain
// JavaScript over the build in dist/: a child process has no jest transform.
import 'reflect-metadata';
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../../../dist/libs/persistence/src/index.js';

writeFileSync(process.env.CHILD_READY, 'ready');
while (!existsSync(process.env.CHILD_GO)) await sleep(2);
try {
  const dataSource = await openDatabase({ type: 'postgres', url: process.env.DATABASE_URL });
  await dataSource.destroy();
} catch (error) {
  process.stderr.write(String(error));
  process.exitCode = 1;
}
