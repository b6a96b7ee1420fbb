/** ANSI colours only where they help: a terminal, not `TERM=dumb`, and no `NO_COLOR` (no-color.org). */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string) => s;

/** The palette without colour: every function returns its text (renderers may skip styling for it). */
export const PLAIN: Palette = Object.freeze({ red: identity, yellow: identity, green: identity, dim: identity, bold: identity });

export function palette(enabled: boolean): Palette {
  if (!enabled) return PLAIN;
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
