/**
 * Small glob matching for `--include` / `--exclude` (no dependency; `path.matchesGlob` is experimental and absent
 * before Node 20.17). Supported: `*` (any run of characters except `/`), `**` (any run including `/`, so `**\/`
 * also matches nothing), `?` (one character except `/`), `[abc]` / `[a-z]` / `[!abc]` classes and `{a,b}`
 * alternatives. A pattern without `/` is matched against the file name alone, like `.gitignore` does.
 */

/** A compiled pattern: does a `/`-separated path relative to the walked directory match? */
export type GlobMatcher = (relativePath: string) => boolean;

/**
 * Compile a glob pattern.
 *
 * @example
 * ```ts
 * const jpeg = compileGlob('*.{jpg,jpeg}');
 * jpeg('2024/05/a.jpg'); // true: no `/` in the pattern, so the file name is matched
 * const raw = compileGlob('raw/**');
 * raw('raw/x/y.cr3'); // true
 * ```
 */
export function compileGlob(pattern: string): GlobMatcher {
  if (typeof pattern !== 'string') throw new TypeError('Expected a string for glob pattern');
  if (pattern.trim() === '') throw new RangeError('Expected a non-empty glob pattern');
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  const basenameOnly = !normalized.includes('/');
  const re = new RegExp(`^${translate(normalized)}$`);
  return (relativePath) => {
    const p = relativePath.replace(/\\/g, '/');
    return re.test(basenameOnly ? p.slice(p.lastIndexOf('/') + 1) : p);
  };
}

/** True when `relativePath` matches any pattern (false for an empty list). */
export function matchesAny(matchers: readonly GlobMatcher[], relativePath: string): boolean {
  return matchers.some((m) => m(relativePath));
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function translate(glob: string): string {
  let out = '';
  let depth = 0; // inside {…}
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a bare `**` anything at all.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else if (c === '\\' && i + 1 < glob.length) out += escapeChar(glob[++i]!);
    else out += escapeChar(c);
  }
  if (depth > 0) throw new RangeError(`Expected a closing } in glob pattern ${JSON.stringify(glob)}`);
  return out;
}
