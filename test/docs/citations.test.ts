/**
 * Every citation in the code resolves inside the repository: `DESIGN Dn` and `DESIGN section n` to a heading of
 * docs/design.md, `spec n.m` and `spec section n.m` to a heading of docs/spec.md (`spec En` / `spec Dn` to a row of
 * its error catalogue or its list of open points). Citations are read from every .ts and .js file under src/ and
 * test/, comment lines joined, so one that wraps (`(spec` / ` * 6.2-6.4)`) is read whole; a list (`spec 6.5, 7.3`,
 * `DESIGN D3/D4`, `DESIGN sections 5 and 7`) is one citation per item. No file may point at a document outside the
 * repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const self = path.relative(root, new URL(import.meta.url).pathname);

function filesUnder(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(rel, exts));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(rel);
  }
  return out.sort();
}

const sources = [...filesUnder('src', ['.ts', '.js']), ...filesUnder('test', ['.ts', '.js'])].filter((f) => f !== self);

interface Citation {
  /** `DESIGN` or `spec`. */
  doc: 'DESIGN' | 'spec';
  /** `D7`, `E3`, `4`, `12.2`. */
  item: string;
  /** The citation as written, for messages. */
  text: string;
  line: number;
}

const ITEM = String.raw`(?:[DE]\d+|\d+(?:\.\d+)*)`;
const SEP = String.raw`(?:\s*(?:,|/|-|\band\b)\s*(?:sections?\s+)?)`;
const CITATION = new RegExp(String.raw`\b(DESIGN|[Ss]pec)\s+(?:sections?\s+)?${ITEM}(?:${SEP}${ITEM})*`, 'g');
const ITEMS = new RegExp(ITEM, 'g');

/**
 * The citations of one file. Lines are joined with their comment markers (`//`, ` * `, `/**`) removed, so a
 * citation that wraps onto the next comment line is found whole; a trailing dot (`spec section 12.2.`) is not part
 * of the number.
 */
function extractCitations(source: string): Citation[] {
  const starts: number[] = [];
  let text = '';
  for (const line of source.split('\n')) {
    starts.push(text.length);
    text += line.replace(/^\s*(?:\/\/+|\/?\*+(?!\/))?\s*/, '') + ' ';
  }
  const lineAt = (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const out: Citation[] = [];
  for (const m of text.matchAll(CITATION)) {
    const doc = m[1] === 'DESIGN' ? 'DESIGN' : 'spec';
    const rest = m[0].slice(m[1]!.length).replace(/^\s+sections?\b/, '');
    for (const item of rest.match(ITEMS) ?? []) {
      out.push({ doc, item, text: m[0].trim(), line: lineAt(m.index) });
    }
  }
  return out;
}

/** The numbers (`4`, `12.2`) and D ids (`D7`) of a page's headings, and the ids of its table rows (`E3`, `D8`). */
function anchors(file: string): { headings: Set<string>; rows: Set<string>; slugs: Set<string> } {
  const headings = new Set<string>();
  const rows = new Set<string>();
  const slugs = new Set<string>();
  for (const line of readFileSync(path.join(root, file), 'utf8').split('\n')) {
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) {
      const title = h[1]!;
      const id = /^(D\d+|\d+(?:\.\d+)*)(?=[.\s]|$)/.exec(title);
      if (id) headings.add(id[1]!);
      slugs.add(
        title
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      );
      continue;
    }
    const row = /^\|\s*([DE]\d+(?:\s*,\s*[DE]\d+)*)\s*\|/.exec(line);
    if (row) for (const id of row[1]!.split(',')) rows.add(id.trim());
  }
  return { headings, rows, slugs };
}

function resolves(c: Citation, design: ReturnType<typeof anchors>, spec: ReturnType<typeof anchors>): boolean {
  if (c.doc === 'DESIGN') return design.headings.has(c.item);
  if (/^[DE]/.test(c.item)) return spec.rows.has(c.item);
  return spec.headings.has(c.item);
}

test('the extractor reads citations as the code writes them', () => {
  const got = (s: string) => extractCitations(s).map((c) => `${c.doc} ${c.item}@${c.line}`);
  assert.deepEqual(got('/** Auth0 shape (spec section 12.2.) */'), ['spec 12.2@1']);
  assert.deepEqual(got('// (spec 6.5, 7.3, DESIGN D6, D10): x'), [
    'spec 6.5@1',
    'spec 7.3@1',
    'DESIGN D6@1',
    'DESIGN D10@1',
  ]);
  assert.deepEqual(got('/** (DESIGN D3/D4) and DESIGN sections 5 and 7 */'), [
    'DESIGN D3@1',
    'DESIGN D4@1',
    'DESIGN 5@1',
    'DESIGN 7@1',
  ]);
  assert.deepEqual(
    got('/**\n * the user (spec\n * 6.2-6.4), metadata (6.10). Error mapping per DESIGN\n * D10.\n */'),
    ['spec 6.2@2', 'spec 6.4@2', 'DESIGN D10@3'],
  );
  assert.deepEqual(got('/** Spec section 3.1, section 4.3; spec 7.1, 8): and spec E3. */'), [
    'spec 3.1@1',
    'spec 4.3@1',
    'spec 7.1@1',
    'spec 8@1',
    'spec E3@1',
  ]);
  assert.deepEqual(got('const x = 1; // RFC 8693 section 2.1, a specification 4'), []);
});

test('every DESIGN and spec citation in src/ and test/ resolves to docs/design.md or docs/spec.md', () => {
  const design = anchors('docs/design.md');
  const spec = anchors('docs/spec.md');
  let count = 0;
  const unresolved: string[] = [];
  for (const file of sources) {
    for (const c of extractCitations(readFileSync(path.join(root, file), 'utf8'))) {
      count++;
      if (!resolves(c, design, spec)) {
        const where = c.doc === 'DESIGN' ? 'docs/design.md' : 'docs/spec.md';
        unresolved.push(`${file}:${c.line} — ${c.doc} ${c.item} (in "${c.text}") has no heading in ${where}`);
      }
    }
  }
  assert.ok(count > 100, `only ${count} citations found: the extractor no longer matches how the code cites`);
  assert.deepEqual(unresolved, [], `unresolved citations:\n${unresolved.join('\n')}`);
});

test('no file cites a document outside the repository', () => {
  const outside = /\.\.\/shared\b|\/work\/shared|shared\/DESIGN|shared\/spec\/|auth0-cte\.md/;
  const files = [...sources, 'README.md', ...filesUnder('docs', ['.md'])];
  const found: string[] = [];
  for (const file of files) {
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (outside.test(line)) found.push(`${file}:${i + 1} — ${line.trim()}`);
      });
  }
  assert.deepEqual(found, [], `references outside the repository:\n${found.join('\n')}`);
});

test("docs/spec.md's links into docs/design.md name headings that exist", () => {
  const design = anchors('docs/design.md');
  const text = readFileSync(path.join(root, 'docs/spec.md'), 'utf8');
  const broken = [...text.matchAll(/\(design\.md#([^)]+)\)/g)].map((m) => m[1]!).filter((s) => !design.slugs.has(s));
  assert.deepEqual(broken, [], `links to missing headings of docs/design.md: ${broken.join(', ')}`);
});
