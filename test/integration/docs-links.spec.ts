import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// What a reader of a clone follows: README.md and docs/*.md. Every relative link must reach a
// file of the repository, and every #anchor a heading of its target (GitHub's slugs); the README
// links nowhere outside the repository, since a clone may be read offline.

const ROOT = process.cwd();
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Inline links `[text](target)` outside code fences and code spans. */
function linksOf(markdown: string): string[] {
  const targets: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) targets.push(match[1]);
  }
  return targets;
}

describe('the docs a clone carries', () => {
  const broken: string[] = [];
  const outside: string[] = [];
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const target of linksOf(text)) {
      if (/^[a-z]+:/i.test(target)) {
        if (doc === 'README.md') outside.push(target);
        continue;
      }
      const [path, anchor] = target.split('#', 2);
      const file = path ? join(dirname(join(ROOT, doc)), path) : join(ROOT, doc);
      if (!existsSync(file)) {
        broken.push(`${doc}: ${target} (no ${relative(ROOT, file)})`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor))
        broken.push(`${doc}: ${target} (no heading #${anchor})`);
    }
  }

  it('link only to files and headings that exist', () => {
    expect(broken).toEqual([]);
  });

  it('leave the README linking nowhere outside the repository', () => {
    expect(outside).toEqual([]);
  });
});
