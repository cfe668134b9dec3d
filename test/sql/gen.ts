/**
 * A seeded generator of valid PostgreSQL migration files that mix every
 * quoting form and comment style at random, for the differential test
 * against libpg-query and the large-file test. Same seed, same files.
 */

/** mulberry32: a tiny, good-enough seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class SqlGen {
  readonly #rand: () => number
  #depth = 0

  constructor(seed: number) {
    this.#rand = prng(seed)
  }

  int(n: number): number {
    return Math.floor(this.#rand() * n)
  }

  chance(p: number): boolean {
    return this.#rand() < p
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)]
    if (item === undefined) throw new Error('pick from an empty list')
    return item
  }

  /** `n` pieces from `alphabet` joined. */
  some(alphabet: readonly string[], max: number): string {
    let s = ''
    const n = this.int(max + 1)
    for (let i = 0; i < n; i++) s += this.pick(alphabet)
    return s
  }

  /** Whitespace and comments between two tokens (never empty). */
  gap(): string {
    switch (this.int(13)) {
      case 0:
        return ' /* c; */ '
      case 1:
        return ' /* a /* nested ; $$ */ b \' " */ '
      case 2:
        return ` -- z; $$ ' " /* ${this.some(['é', '😀', ';', 'x'], 3)}\n`
      case 3:
        return '\n'
      case 4:
        return '\t'
      case 5:
        return '\r\n  '
      case 6:
        return '\f'
      case 7:
        return '/**/'
      case 8:
        return '\n-- whole line ; comment\n'
      case 9:
        // Glued to the previous token: `1--x` is 1 and a comment, `+--x` is + and a comment.
        return this.pick(['--x;\n', '/*y;*/', '--\r\n'])
      default:
        return ' '
    }
  }

  /** A string constant of a random form (its content may hold `;`, quotes, comment markers). */
  string(): string {
    switch (this.int(9)) {
      case 0:
      case 1:
        return `'${this.some(['a', ';', "''", '\\', '$', '$$', '--', '/*', '*/', '"', 'é', '😀', '\n', 'E', ' '], 8)}'`
      case 2:
        return `${this.pick(['E', 'e'])}'${this.some(['a', "\\'", '\\\\', '\\n', "''", ';', '$$', '\\t', '"', '--', '\\x41', '\\101', 'ü'], 8)}'`
      case 3:
        return `${this.pick(['U&', 'u&'])}'${this.some(['a', ';', '\\0041', '\\\\', "''", 'é', '\\+01F600', '--'], 6)}'`
      case 4:
        return this.chance(0.5) ? `B'${this.some(['0', '1'], 8)}'` : `X'${this.some(['0', 'F', 'a', '9'], 8)}'`
      case 5:
        return `N'${this.some(['a', ';', "''", '\\', 'é'], 6)}'`
      case 6: {
        // Quote continuation: parts separated by whitespace with a newline (and maybe comments).
        const e = this.chance(0.5)
        const part = (): string => this.some(e ? ['a', "\\'", ';', '\\\\'] : ['a', ';', "''", '\\'], 4)
        // Only whitespace here: PostgreSQL also continues across `--` comments,
        // but libpg-query (our oracle) does not; the golden files cover that case.
        const sep = this.pick(['\n', ' \n ', '\n\n\t', ' \t\n', '\r\n'])
        return `${e ? 'E' : ''}'${part()}'${sep}'${part()}'`
      }
      default:
        return this.dollar()
    }
  }

  dollar(): string {
    const tag = this.pick(['', '', 'a', 'tag', 'T_1', 'é', '_'])
    const delimiter = `$${tag}$`
    for (;;) {
      const body = this.some([';', '$', '$a', '$b$', '$$', "'", '"', '--', '/*', 'x', '\n', ' ', 'BEGIN; END;', '$1'], 8)
      // The closing delimiter must be the first occurrence after the opening one
      // (a body ending in `$a` with tag `a` would close early).
      if ((body + delimiter).indexOf(delimiter) === body.length) return `${delimiter}${body}${delimiter}`
    }
  }

  identifier(): string {
    switch (this.int(6)) {
      case 0:
        return `"${this.some(['q', ';', '""', ' ', '--', '/*', "'", '$$', 'é'], 5)}x"`
      case 1:
        return this.pick(['a$b', 'foo$bar$', 'x$1', 'b$$c', 'é$a$'])
      case 2:
        return `U&"${this.some(['d', '\\0061', ';', '""'], 4)}x"`
      case 3:
        return this.pick(['café', 'naïve', 'é😀'])
      default:
        return this.pick(['a', 'b', 'col', 'Mixed', 'x_1'])
    }
  }

  /** A keyword in random letter case. */
  kw(word: string): string {
    return this.pick([word, word.toLowerCase(), word.charAt(0) + word.slice(1).toLowerCase()])
  }

  number(): string {
    return this.pick(['1', '42', '1_000', '0x1F', '0o17', '0b101', '.5', '1.5e-3', '1.', '3.14'])
  }

  expr(): string {
    this.#depth++
    try {
      const leaf = this.#depth > 3 || this.chance(0.45)
      if (leaf) {
        switch (this.int(5)) {
          case 0:
          case 1:
            return this.string()
          case 2:
            return this.number()
          case 3:
            return `$${1 + this.int(12)}`
          default:
            return this.identifier()
        }
      }
      const g = (): string => this.gap()
      switch (this.int(8)) {
        case 0:
          return `f(${this.expr()},${g()}${this.expr()})`
        case 1:
          return `(${this.expr()})`
        case 2:
          // Parenthesised: comparison operators do not associate. The space
          // after the operator keeps a glued `--x` gap from swallowing a
          // trailing `-` (flex's longest match makes `---x` one comment).
          return `(${this.expr()}${g()}${this.pick(['+', '||', '-', '*', '<>', '>=', '+-', '@>'])} ${g()}${this.expr()})`
        case 3:
          return `${this.expr()}::text`
        case 4:
          return `CASE WHEN ${this.expr()} = 1 THEN ${this.expr()} ELSE ${this.expr()} END`
        case 5:
          return `ARRAY[${this.expr()},${g()}${this.expr()}]`
        case 6:
          return `(${this.expr()}${g()}IS NOT NULL)`
        default:
          return `coalesce(${this.expr()})`
      }
    } finally {
      this.#depth--
    }
  }

  statement(): string {
    const g = (): string => this.gap()
    switch (this.int(14)) {
      case 0:
      case 1:
      case 2: {
        const cols = Array.from({ length: 1 + this.int(3) }, () => (this.chance(0.3) ? `${this.expr()} AS ${this.identifier()}` : this.expr()))
        return `SELECT${g()}${cols.join(`,${g()}`)}${this.chance(0.5) ? `${g()}FROM${g()}${this.identifier()}` : ''}`
      }
      case 3:
        return `INSERT INTO t${g()}(a,${g()}${this.identifier()})${g()}VALUES${g()}(${this.expr()},${g()}${this.expr()})`
      case 4:
        return `CREATE TABLE ${this.identifier()}${g()}(a int DEFAULT ${this.number()},${g()}b text DEFAULT ${this.string()})`
      case 5:
        return `CREATE FUNCTION f()${g()}RETURNS int LANGUAGE plpgsql AS ${this.dollar()}`
      case 6:
        return (
          `${this.kw('CREATE')} ${this.kw(this.pick(['', 'OR REPLACE ']))}${this.kw('FUNCTION')} f(a int)${g()}RETURNS int${g()}LANGUAGE sql${g()}` +
          `${this.kw('BEGIN')}${g()}${this.kw('ATOMIC')}${g()}SELECT ${this.expr()};${g()}` +
          `SELECT ${this.kw('CASE')} WHEN a > 0 THEN (CASE WHEN a > 1 THEN 2 END) ${this.kw('END')};${g()}${this.chance(0.5) ? ';' : ''}${this.kw('END')}`
        )
      case 7:
        return `CREATE PROCEDURE p()${g()}LANGUAGE sql${g()}BEGIN ATOMIC${g()}INSERT INTO t VALUES (${this.expr()});${g()}END`
      case 8:
        return `CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT ${this.expr()};${g()}NOTIFY t${this.chance(0.5) ? ';' : ''})`
      case 9:
        return `CREATE INDEX CONCURRENTLY i ON t${g()}(a)`
      case 10:
        return this.pick(['BEGIN', 'COMMIT', 'ROLLBACK', 'START TRANSACTION', 'END', 'SAVEPOINT s'])
      case 11:
        return `DO ${this.dollar()}`
      case 12:
        // COMMENT takes a plain string constant only (no B'', X'', N'', U&'').
        return `COMMENT ON TABLE t IS ${this.pick([`'a;''b'`, `E'\\';'`, this.dollar()])}`
      default:
        return `UPDATE t SET a = ${this.expr()}${g()}WHERE b = ${this.expr()}`
    }
  }

  /** A whole file of 1..8 statements with random separators, leading and trailing comments. */
  file(): string {
    let text = this.chance(0.3) ? this.pick(['-- header; $$\n', '/* head; */\n', '-- link-migrate:no-transaction\n']) : ''
    const n = 1 + this.int(8)
    for (let i = 0; i < n; i++) {
      text += this.statement()
      const last = i === n - 1
      if (last && this.chance(0.2)) break // no trailing semicolon
      text += this.pick([';', ';', ' ;', ';;', '\n;', '; ;', ' -- c\n;'])
      text += this.pick(['\n', '\n\n', ' ', '\r\n', ' -- after; \n', ' /* x; */\n'])
    }
    if (this.chance(0.2)) text += this.pick(['-- trailing; comment', '/* trailing ; */', '\n-- end\n'])
    return text
  }
}
