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
  // Each cell's width once; a loop, not Math.max(...spread): a table can have 10,000 rows.
  const cellWidths = rows.map((r) => r.map(displayWidth));
  const widths = header.map((h, i) => {
    let w = displayWidth(h);
    for (const cw of cellWidths) if ((cw[i] ?? 0) > w) w = cw[i]!;
    return w;
  });
  const line = (cells: string[], row: number, cw: number[]) =>
    cells
      .map((c, i) => {
        const last = i === cells.length - 1;
        const padded = last ? c : c + ' '.repeat(widths[i]! - cw[i]!);
        if (row < 0 || !style) return padded;
        // Style only the text, not the padding, so underlines and backgrounds stay tight.
        return style(c, row, i) + padded.slice(c.length);
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1, header.map(displayWidth)), ...rows.map((r, i) => line(r, i, cellWidths[i]!))].join('\n') + '\n';
}
