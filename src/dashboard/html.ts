/** Markup that is already safe: built by `html` from escaped parts, never from raw input. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function piece(p: Part): string {
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return p.map(piece).join('');
  if (p === null || p === undefined || p === false) return '';
  return escapeHtml(String(p));
}

/**
 * Template literal tag: every interpolated value is escaped unless it is Html made by this tag, so a
 * certificate name or an error message with markup in it renders as text.
 */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += piece(v) + strings[i + 1]!));
  return new Html(out);
}
