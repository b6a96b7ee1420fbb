/**
 * Columns a terminal shows as two cells: CJK ideographs, kana, Hangul, full-width forms. Enough for
 * aligning Chinese headers; not a full East Asian Width table.
 */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Printable ASCII only: one column per character (most cells; the table of 10,000 certificates stays fast). */
const ASCII = /^[\x20-\x7e]*$/;

/** Terminal columns a string takes (ANSI colour sequences take none). */
export function displayWidth(s: string): number {
  if (ASCII.test(s)) return s.length;
  let w = 0;
  for (const ch of s.replace(/\x1b\[[0-9;]*m/g, '')) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

/** Colours or otherwise decorates one cell after padding, so colour codes never disturb alignment. */
export type CellStyle = (text: string, row: number, col: number) => string;

/**
 * Left-aligned columns separated by two spaces; the plain-text table every command prints.
 * `style` is applied to body cells (row index from 0) after padding.
 */
export function renderTable(header: string[], rows: string[][], style?: CellStyle): string {
  // Each cell's width once. A printable ASCII cell (nearly all) is as wide as it is long, so only rows
  // with another cell keep their widths: 10,000 rows make no array each.
  const widths = header.map(displayWidth);
  const odd = new Map<number, number[]>();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i < row.length; i++) {
      const c = row[i]!;
      let w = c.length;
      if (!ASCII.test(c)) {
        w = displayWidth(c);
        let cw = odd.get(r);
        if (!cw) odd.set(r, (cw = row.map((x) => x.length)));
        cw[i] = w;
      }
      if (i < widths.length && w > widths[i]!) widths[i] = w;
    }
  }
  const line = (cells: string[], row: number, cw: number[] | undefined) => {
    let out = '';
    const last = cells.length - 1;
    for (let i = 0; i <= last; i++) {
      const c = cells[i]!;
      // Style only the text, not the padding, so underlines and backgrounds stay tight.
      const text = row < 0 || !style ? c : style(c, row, i);
      const pad = widths[i]! - (cw ? cw[i]! : c.length);
      out += i === last ? text : pad >= 0 ? text + spaces(pad + 2) : `${text}${' '.repeat(pad)}  `;
    }
    return out.trimEnd();
  };
  let out = `${line(header, -1, header.map(displayWidth))}\n`;
  for (let r = 0; r < rows.length; r++) out += `${line(rows[r]!, r, odd.get(r))}\n`;
  return out;
}

/** Runs of spaces by length, made once: 10,000 rows pad about 60,000 cells with a few lengths. */
const SPACES: string[] = [];
function spaces(n: number): string {
  return (SPACES[n] ??= ' '.repeat(n));
}
