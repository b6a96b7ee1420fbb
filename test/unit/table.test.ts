import { describe, expect, it } from 'vitest';
import { displayWidth, renderTable } from '../../src/cli/table.js';

describe('renderTable', () => {
  it('pads each column to its widest cell, counting CJK as two columns and colour codes as none', () => {
    const rows = [
      ['a', '证书', 'x'],
      ['bbbb', 'c', ''],
      ['\x1b[31mred\x1b[0m', 'dd', 'end'],
    ];
    expect(renderTable(['N', 'NAME', 'LAST'], rows)).toBe(
      ['N     NAME  LAST', 'a     证书  x', 'bbbb  c', '\x1b[31mred\x1b[0m   dd    end', ''].join('\n'),
    );
    expect(displayWidth('证书')).toBe(4);
  });

  it('styles the text of body cells only, after padding', () => {
    const out = renderTable(['A', 'B'], [['x', 'y'], ['long', 'z']], (text, row, col) => (col === 0 ? `<${row}:${text}>` : text));
    expect(out).toBe(['A     B', '<0:x>     y', '<1:long>  z', ''].join('\n'));
  });
});
