/** XML character references and the five predefined entities, decoded (Windows event XML, CLIXML). */
export function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#\d+);/gi, (all, e: string) => {
    const k = e.toLowerCase();
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'amp') return '&';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const n = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    // A reference past U+10FFFF names no character: kept as written (fromCodePoint would throw).
    return Number.isFinite(n) && n <= 0x10ffff ? String.fromCodePoint(n) : all;
  });
}
