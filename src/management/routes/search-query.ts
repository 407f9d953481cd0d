/**
 * The small subset of Auth0's Lucene query syntax (`q` on `GET /users` and `GET /logs`) that Baton supports:
 * `field:value`, `field:"quoted value"`, `field:(a OR b)`, a trailing `*` for a prefix, terms joined by spaces or
 * `AND`, and a bare term for the default field (`alice@example.com`). Anything else is a 400 naming the query, not
 * a silently wrong result.
 */
import { badQuery } from '../errors.js';

export interface SearchTerm {
  field: string;
  values: string[];
  /** `value*`: prefix match. */
  prefix: boolean;
}

const TERM = /^(?:([A-Za-z_][\w.]*):)?(?:"((?:[^"\\]|\\.)*)"|\(([^()]*)\)|([^\s"()]+))/;

export function parseSearchQuery(q: string, defaultField: string, fields: readonly string[]): SearchTerm[] {
  const terms: SearchTerm[] = [];
  let rest = q.trim();
  const fail = () => badQuery(`Query validation error: 'Unsupported query: ${q}' on property q.`);
  while (rest.length) {
    const m = TERM.exec(rest);
    if (!m) throw fail();
    const field = m[1] ?? defaultField;
    if (!fields.includes(field))
      throw badQuery(`Query validation error: 'Unsupported field in query: ${field}' on property q.`);
    let values: string[];
    let prefix = false;
    if (m[2] !== undefined) values = [m[2].replace(/\\(.)/g, '$1')];
    else if (m[3] !== undefined) {
      values = m[3].split(/\s+OR\s+/).map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
      if (values.some((v) => !v || /\s/.test(v))) throw fail();
    } else {
      let v = m[4]!;
      if (v.endsWith('*')) {
        prefix = true;
        v = v.slice(0, -1);
      }
      if (!v || v.includes('*')) throw fail();
      values = [v];
    }
    terms.push({ field, values, prefix });
    rest = rest.slice(m[0].length).replace(/^\s+(AND\s+)?/, '');
    if (rest.length && m[0].length === 0) throw fail();
  }
  return terms;
}
