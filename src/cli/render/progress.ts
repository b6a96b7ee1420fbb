import type { OrderStep } from '../../acme/order.js';
import type { Messages } from '../../i18n/index.js';
import { displayWidth } from '../table.js';
import type { Palette } from './color.js';

export type ProgressStep = OrderStep | 'deployed' | 'failed' | 'skipped';

/** One `onStep` call from renewPass, stamped with the clock (ms). */
export interface ProgressEvent {
  at: number;
  name: string;
  step: ProgressStep;
  /** How far the step is, e.g. "1/2" nameservers serving the TXT records while they propagate. */
  detail?: string;
}

interface CertLine {
  name: string;
  steps: ProgressStep[];
  /** Detail of the last step, if it sent one. */
  detail?: string;
  startedAt: number;
  lastAt: number;
}

const FINAL: ProgressStep[] = ['deployed', 'failed', 'skipped'];

/** Folds one event into the entries per certificate (kept in the order certificates first appeared). */
function foldInto(byName: Map<string, CertLine>, e: ProgressEvent): void {
  const line = byName.get(e.name);
  if (!line) byName.set(e.name, { name: e.name, steps: [e.step], startedAt: e.at, lastAt: e.at, detail: e.detail });
  else {
    // The same step again only brings news about it (propagation progress), not a new step.
    if (line.steps.at(-1) !== e.step || e.detail === undefined) line.steps.push(e.step);
    line.detail = e.detail;
    line.lastAt = e.at;
  }
}

/** Folds events into one entry per certificate, in the order certificates first appeared. */
export function foldEvents(events: ProgressEvent[]): CertLine[] {
  const byName = new Map<string, CertLine>();
  for (const e of events) foldInto(byName, e);
  return [...byName.values()];
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/**
 * The lines a terminal shows at `now`: one per certificate, its steps so far joined by arrows and
 * the time since its order started. A certificate that reached a final step (or every one, once
 * `finished`) shows the time of its last step instead of a running clock.
 */
export function progressFrame(events: ProgressEvent[], now: number, m: Messages, pal: Palette, opts: { finished?: boolean; columns?: number } = {}): string[] {
  return frameOf(foldEvents(events), now, m, pal, opts);
}

function frameOf(lines: CertLine[], now: number, m: Messages, pal: Palette, opts: { finished?: boolean; columns?: number }): string[] {
  const nameWidth = Math.max(0, ...lines.map((l) => displayWidth(l.name)));
  return lines.map((l) => {
    const last = l.steps.at(-1)!;
    const frozen = opts.finished || FINAL.includes(last);
    const elapsed = formatElapsed((frozen ? l.lastAt : now) - l.startedAt);
    const chain = l.steps
      .map((s, i) => {
        const text = i === l.steps.length - 1 && l.detail ? `${m.steps[s]} (${m.stepDetail(l.detail)})` : m.steps[s];
        if (s === 'failed') return pal.red(text);
        if (i === l.steps.length - 1) return frozen ? pal.green(text) : pal.bold(text);
        return pal.dim(text);
      })
      .join(pal.dim(' → '));
    const marker = last === 'failed' ? pal.red('✗') : frozen ? pal.green('✓') : '…';
    const line = `${marker} ${l.name}${' '.repeat(nameWidth - displayWidth(l.name))}  ${chain}  ${pal.dim(elapsed)}`;
    return opts.columns ? truncate(line, opts.columns) : line;
  });
}

/** A plain log line for one event (not a terminal), `startedAt` being its certificate's first event: `[  4.2s] site: TXT written`. */
export function plainLine(startedAt: number, event: ProgressEvent, m: Messages): string {
  return `[${formatElapsed(event.at - startedAt).padStart(7)}] ${event.name}: ${m.steps[event.step]}${event.detail ? ` (${m.stepDetail(event.detail)})` : ''}`;
}

// Cutting a coloured line would leave an escape open; drop colour from lines that must be cut.
function truncate(line: string, columns: number): string {
  if (displayWidth(line) < columns) return line;
  let out = '';
  for (const ch of line.replace(/\x1b\[[0-9;]*m/g, '')) {
    if (displayWidth(out + ch) >= columns - 1) return `${out}…`;
    out += ch;
  }
  return out;
}

export interface ProgressSink {
  step(name: string, step: ProgressStep, detail?: string): void;
  finish(): void;
}

/**
 * Redraws the certificate lines in place on a terminal (cursor up, clear line), ticking once a
 * second so elapsed times move while a step waits on DNS or the CA. The lines are kept folded as
 * events come, so a pass of thousands of certificates costs each step its own line, not a replay.
 */
export function ttyProgress(out: NodeJS.WritableStream & { columns?: number }, m: Messages, pal: Palette, clock: () => number = Date.now): ProgressSink {
  const byName = new Map<string, CertLine>();
  let drawn = 0;
  const draw = (finished = false) => {
    const lines = frameOf([...byName.values()], clock(), m, pal, { finished, columns: out.columns });
    let s = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const l of lines) s += `\r\x1b[2K${l}\n`;
    drawn = lines.length;
    if (s) out.write(s);
  };
  const timer = setInterval(() => drawn > 0 && draw(), 1000);
  timer.unref();
  return {
    step(name, step, detail) {
      foldInto(byName, { at: clock(), name, step, detail });
      draw();
    },
    finish() {
      clearInterval(timer);
      if (byName.size) draw(true);
    },
  };
}

/** One plain line per step, for logs and pipes; only each certificate's start is kept. */
export function plainProgress(out: NodeJS.WritableStream, m: Messages, clock: () => number = Date.now): ProgressSink {
  const startedAt = new Map<string, number>();
  return {
    step(name, step, detail) {
      const e = { at: clock(), name, step, detail };
      if (!startedAt.has(name)) startedAt.set(name, e.at);
      out.write(`${plainLine(startedAt.get(name)!, e, m)}\n`);
    },
    finish() {},
  };
}
