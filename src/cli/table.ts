/**
 * Columns a terminal shows as two cells: CJK ideographs, kana, Hangul, full-width forms. Enough for
 * aligning Chinese headers; not a full East Asian Width table.
 */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Terminal columns a string takes (ANSI colour sequences take none). */
export function displayWidth(s: string): number {
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
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: string[], row: number) =>
    cells
      .map((c, i) => {
        const last = i === cells.length - 1;
        const padded = last ? c : c + ' '.repeat(widths[i]! - displayWidth(c));
        if (row < 0 || !style) return padded;
        // Style only the text, not the padding, so underlines and backgrounds stay tight.
        return style(c, row, i) + padded.slice(c.length);
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((r, i) => line(r, i))].join('\n') + '\n';
}
