/**
 * Renders a run's figures again (written by `BENCH_FIGURES=<file> npm run bench`): prints the
 * section, and with --write puts it into docs/performance.md. `node dist/bench/render.js <file>`.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Figures } from './report.js';
import { renderSection, writeSection } from './report.js';

const DOC = fileURLToPath(new URL('../../docs/performance.md', import.meta.url));

async function main(): Promise<void> {
  const [file, flag] = process.argv.slice(2);
  if (!file) throw new Error('usage: render.js <figures.json> [--write]');
  const figures = JSON.parse(await readFile(file, 'utf8')) as Figures;
  const section = renderSection(figures);
  process.stdout.write(`${section}\n`);
  if (flag === '--write') await writeSection(DOC, section);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
