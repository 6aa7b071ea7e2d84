// Go's text/tabwriter, the subset ls uses (left-aligned, space padding):
// tab-terminated cells form columns over consecutive lines that have them;
// a column is as wide as its widest cell plus `padding`, at least `minWidth`;
// the text after a line's last tab is not part of any column.

export interface TabwriterOptions {
  minWidth?: number;
  padding?: number;
  padChar?: string;
}

/** Docker Machine's ls settings: minwidth 5, tabwidth 1, padding 3, ' '. */
export const LS_TABWRITER: Required<TabwriterOptions> = { minWidth: 5, padding: 3, padChar: ' ' };

function width(s: string): number {
  return [...s].length;
}

export function tabwrite(text: string, options: TabwriterOptions = {}): string {
  const minWidth = options.minWidth ?? 0;
  const padding = options.padding ?? 1;
  const padChar = options.padChar ?? ' ';
  const endsWithNewline = text.endsWith('\n');
  const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const lines = rawLines.map((l) => l.split('\t'));
  // An unfinished last line (a --format that failed partway) ends with the
  // cell its last tab closed: Go's Flush adds no empty cell after it.
  const last = lines[lines.length - 1];
  if (!endsWithNewline && last.length > 1 && last[last.length - 1] === '') last.pop();
  const out: string[] = new Array<string>(lines.length);
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      let s = '';
      for (let j = 0; j < cells.length; j++) {
        const c = cells[j];
        if (j < widths.length && j < cells.length - 1) s += c + padChar.repeat(Math.max(0, widths[j] - width(c)));
        else s += c;
      }
      out[i] = s;
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur].length - 1) continue;
      writeLines(line0, cur);
      line0 = cur;
      let w = minWidth;
      for (; cur < line1; cur++) {
        const cells = lines[cur];
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]) + padding);
      }
      widths.push(w);
      format(line0, cur);
      widths.pop();
      line0 = cur;
      cur--;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
