/** The marker on the line before a fenced shell block that the README test runs. */
export const RUNNABLE_MARKER = '<!-- runnable -->';

export interface RunnableBlock {
  /** 1-based line of the opening fence. */
  line: number;
  script: string;
}

/**
 * Fenced `sh`/`bash`/`shell` blocks directly preceded by `<!-- runnable -->` (blank lines between
 * are allowed). A marker before anything else is an error, so a marker cannot silently run nothing.
 */
export function runnableBlocks(markdown: string, file = 'markdown'): RunnableBlock[] {
  const lines = markdown.split('\n');
  const out: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trimEnd() !== RUNNABLE_MARKER) continue; // at column 0: an indented one is an example
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    const fence = /^(`{3,})\s*(sh|bash|shell)\b/.exec(lines[j] ?? '');
    if (!fence) throw new Error(`${file}:${i + 1}: ${RUNNABLE_MARKER} must be followed by a \`\`\`sh block`);
    const body: string[] = [];
    let k = j + 1;
    for (; k < lines.length && !lines[k]!.startsWith(fence[1]!); k++) body.push(lines[k]!);
    if (k >= lines.length) throw new Error(`${file}:${j + 1}: unclosed code block`);
    out.push({ line: j + 1, script: body.join('\n') });
    i = k;
  }
  return out;
}
