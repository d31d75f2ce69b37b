/**
 * A newcomer finds any behaviour in two hops from the README (issue 17 item 6): the file map lists every
 * file of activities/cycle/ and workflows/, each client folder has a README, and the § sections those
 * READMEs cite exist in docs/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../client/paths';

const read = (rel: string) => fs.readFileSync(path.join(PROJECT_ROOT, rel), 'utf8');
const tsFiles = (dir: string) =>
  fs
    .readdirSync(path.join(PROJECT_ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .sort();

test('the README file map has one row for each file of activities/cycle/ and workflows/', () => {
  const map = read('README.md').split('## File map')[1]?.split('\n## ')[0] ?? '';
  assert.ok(map.length > 0, 'README has a "## File map" section');
  for (const dir of ['activities/cycle', 'workflows']) {
    const files = tsFiles(dir);
    assert.ok(files.length > 0, `${dir} has files`);
    for (const f of files)
      assert.match(
        map,
        new RegExp(`^\\| \`${dir}/${f.replace('.', '\\.')}\` \\| \\S`, 'm'),
        `${dir}/${f} is in the file map`,
      );
  }
});

test('each client README cites only § sections its docs/ file has', () => {
  for (const [readme, doc] of [
    ['activities/netsuite/README.md', 'docs/netsuite.md'],
    ['activities/anaplan/README.md', 'docs/anaplan.md'],
  ] as const) {
    const text = read(readme);
    assert.ok(text.includes(doc), `${readme} points to ${doc}`);
    const headings = new Set([...read(doc).matchAll(/^#{2,4} (\d+(?:\.\d+)*)[.\s]/gm)].map((m) => m[1]));
    // "§3.1", "§1.1–1.2", "§5.1–5.2": every number named after a § must be a heading of the doc.
    const cited = [...text.matchAll(/§(\d+(?:\.\d+)*)(?:[–-](\d+(?:\.\d+)*))?/g)].flatMap((m) =>
      m[2] ? [m[1], m[2]] : [m[1]],
    );
    assert.ok(cited.length > 0, `${readme} cites sections`);
    for (const s of cited) assert.ok(headings.has(s), `${readme} cites §${s}, which ${doc} has`);
  }
});

/** Source files whose comments may cite docs: every .ts/.mjs file outside node_modules, dist and data. */
function sourceFiles(dir = '.'): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true })) {
    if (e.name.startsWith('.') || ['node_modules', 'dist', 'bench'].includes(e.name)) continue;
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mjs|js)$/.test(e.name)) out.push(rel);
  }
  return out;
}

test('no source file cites a document outside the repository', () => {
  const files = sourceFiles();
  assert.ok(files.length > 100, 'the scan finds the source files');
  const outside = /\b(DESIGN|STYLE)\.md\b|shared\/reference|\.\.\/shared\//;
  const hits = files.flatMap((f) =>
    read(f)
      .split('\n')
      .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(hits, [], 'comments citing a file outside the repository');
});

test('every docs/<file>.md § a source file cites is a heading of that file', () => {
  const headings = new Map<string, Set<string>>();
  const headingsOf = (doc: string) => {
    if (!headings.has(doc)) {
      assert.ok(fs.existsSync(path.join(PROJECT_ROOT, doc)), `${doc} exists`);
      headings.set(doc, new Set([...read(doc).matchAll(/^#{2,4} (\d+(?:\.\d+)*)[.\s]/gm)].map((m) => m[1]!)));
    }
    return headings.get(doc)!;
  };
  const missing: string[] = [];
  let cites = 0;
  for (const f of sourceFiles()) {
    // "docs/design.md §7, §10", "docs/anaplan.md §5 and §14.3": the numbers that follow one file name.
    for (const m of read(f).matchAll(/(docs\/[a-z-]+\.md) (§\d+(?:\.\d+)*(?:(?:, | and | or |–)§?\d+(?:\.\d+)*)*)/g)) {
      const doc = m[1]!;
      for (const s of m[2]!.match(/\d+(?:\.\d+)*/g)!) {
        cites++;
        if (!headingsOf(doc).has(s)) missing.push(`${f}: ${doc} §${s}`);
      }
    }
  }
  assert.ok(cites > 50, `the scan finds the citations (${cites})`);
  assert.deepEqual(missing, [], 'cited sections that the doc does not have');
});
