/** Human text: wrapping long lines at a readable width. */

/** Width human messages wrap at when the terminal's is unknown (CI logs, pipes). */
export const DEFAULT_COLUMNS = 100;

/**
 * Wraps each line of `text` at `columns` (default {@link DEFAULT_COLUMNS}) on spaces; continuation
 * lines are indented by `indent` spaces plus the line's own leading spaces. A word longer than the
 * width (a URL) is never cut.
 */
export function wrapText(text: string, columns: number = DEFAULT_COLUMNS, indent = 0): string {
  const width = Math.max(40, columns);
  return text
    .split('\n')
    .map((line) => wrapLine(line, width, indent))
    .join('\n');
}

function wrapLine(line: string, width: number, indent: number): string {
  if (line.length <= width) return line;
  const lead = /^ */.exec(line)![0];
  const pad = ' '.repeat(lead.length + indent);
  const words = line.slice(lead.length).split(' ');
  const out: string[] = [];
  let current = lead;
  for (const word of words) {
    const start = current === lead || current === pad;
    if (!start && current.length + 1 + word.length > width) {
      out.push(current);
      current = pad + word;
    } else {
      current = start ? current + word : `${current} ${word}`;
    }
  }
  out.push(current);
  return out.join('\n');
}

/** `850 ms`, `2 s`, `1.5 s`, `2 min 5 s`: a duration as people read it. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const total = Math.round(ms / 1000);
  if (total < 120) return `${total} s`;
  return `${Math.floor(total / 60)} min${total % 60 === 0 ? '' : ` ${total % 60} s`}`;
}
