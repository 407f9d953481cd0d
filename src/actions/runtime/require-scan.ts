/**
 * Deploy-time module check (DESIGN section 4: "an unknown module is a clear error at deploy time"): finds the
 * literal `require('x')` calls outside comments. Dynamic `require(name)` still fails at run time in the guest.
 */
import { MODULE_ALIASES, PROVIDED_MODULES } from '../contract.js';

/**
 * Blanks comments and the contents of string literals (so `'https://x'` and `"require('y')"` are not read as
 * code), keeping the literal that directly follows `require(`.
 */
function stripComments(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    const n = code[i + 1];
    if (c === '/' && n === '/') {
      while (i < code.length && code[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      out += code.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      const literal = code.slice(i, j + 1);
      out += /require\s*\(\s*$/.test(out.slice(-64))
        ? literal
        : c + literal.slice(1, -1).replace(/[^\n]/g, ' ') + (j < code.length ? c : '');
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface RequiredModule {
  name: string;
  line: number;
  column: number;
}

export function findRequires(code: string): RequiredModule[] {
  const src = stripComments(code);
  const out: RequiredModule[] = [];
  const re = /(^|[^.\w$])require\s*\(\s*(['"`])([^'"`]*)\2\s*\)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const at = m.index + m[1]!.length;
    const before = src.slice(0, at);
    const line = before.split('\n').length;
    out.push({ name: m[3]!, line, column: at - before.lastIndexOf('\n') });
  }
  return out;
}

export function isProvidedModule(name: string): boolean {
  return (PROVIDED_MODULES as readonly string[]).includes(name) || name in MODULE_ALIASES;
}
