import type { YAMLError } from 'yaml';
import { configIssue, type ConfigIssue } from '../errors.js';
import { said, type YamlHint } from '../i18n/errors.js';

const FRAME_WIDTH = 100;

/**
 * The first YAML syntax error as one config issue: where, what, the line with a caret under the spot,
 * and what to try. Only the first: after one bad token the parser reports every token that follows
 * (45 lines for one unquoted `${VAR}` in a flow map), and none of those lines helps.
 */
export function yamlSyntaxIssue(text: string, file: string, err: YAMLError): ConfigIssue {
  const lines = text.split(/\r?\n/);
  let line = err.linePos?.[0].line ?? 1;
  let col = err.linePos?.[0].col ?? 1;
  // An error at the end of the input (a missing quote or bracket) points at an empty line: show the
  // last line that has something on it, with the caret after its end.
  while (line > 1 && (lines[line - 1] ?? '').trim() === '') {
    line--;
    col = (lines[line - 1] ?? '').length + 1;
  }
  const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const source = lines[line - 1] ?? '';
  return configIssue('', said('yamlSyntax', `${file}:${line}:${col}`, what, codeFrame(source, line, col).join('\n'), hint(err, source)));
}

/** Two lines: the source line (cut to a window around the column) and a caret under the column. */
function codeFrame(source: string, line: number, col: number): string[] {
  const flat = source.replace(/\t/g, ' ');
  const start = Math.max(0, Math.min(col - 1 - FRAME_WIDTH / 2, flat.length - FRAME_WIDTH));
  const shown = (start > 0 ? '…' : '') + flat.slice(start, start + FRAME_WIDTH) + (start + FRAME_WIDTH < flat.length ? '…' : '');
  const gutter = String(line);
  const caretAt = col - 1 - start + (start > 0 ? 1 : 0);
  return [`  ${gutter} | ${shown}`, `  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, caretAt))}^`];
}

/** An unquoted value that starts with `$` or `{`: in a flow map or list YAML reads `{` as structure. */
const UNQUOTED_VARIABLE = /(^|[\s,[{])([A-Za-z0-9_.-]+:\s+)?(\$\{[^\s,}\]]*\}?)/;

function hint(err: YAMLError, source: string): YamlHint {
  if (err.code === 'DUPLICATE_KEY') return { kind: 'duplicate' };
  if (err.code === 'TAB_AS_INDENT') return { kind: 'tab' };
  const m = UNQUOTED_VARIABLE.exec(source);
  if (m) return { kind: 'quote', example: `${m[2] ?? ''}"${m[3]}"` };
  return { kind: 'general' };
}
