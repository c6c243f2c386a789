/** Single-quote for POSIX sh: `it's` → `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** s as one sh word, quoted only when it has to be: command lines stay readable in logs. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : shellQuote(s);
}
