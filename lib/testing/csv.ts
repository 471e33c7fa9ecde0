/**
 * CSV readers for tests, written to the letter rather than borrowed from the code under test.
 *
 * `parseCsvStrict` is RFC 4180 with CRLF or LF line ends: it throws on anything the RFC does
 * not allow (a quote inside an unquoted cell, text after a closing quote, an unclosed quote),
 * so an export that parses here is well formed, not merely readable by a forgiving reader.
 *
 * `splitLikeSemicolonLocale` reads a file as a spreadsheet does in a locale whose list
 * separator is `;`: cells end at every `;`; a cell that starts with a quote is read up to
 * its closing quote and whatever follows up to the next `;` is kept as text.
 */

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = "CsvSyntaxError";
  }
}

export const parseCsvStrict = (text: string, separator = ","): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let index = 0;
  const endRow = () => {
    row.push(cell);
    rows.push(row);
    row = [];
    cell = "";
  };
  while (index < text.length) {
    if (text[index] === '"') {
      // A quoted cell: up to the quote that is not doubled.
      index += 1;
      for (;;) {
        if (index >= text.length) throw new CsvSyntaxError("unclosed quote", index);
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            cell += '"';
            index += 2;
            continue;
          }
          index += 1;
          break;
        }
        cell += text[index];
        index += 1;
      }
    } else {
      while (index < text.length && text[index] !== separator && text[index] !== "\r" && text[index] !== "\n") {
        if (text[index] === '"') throw new CsvSyntaxError("quote inside an unquoted cell", index);
        cell += text[index];
        index += 1;
      }
    }
    // After a cell: a separator, a line end or the end of the text, nothing else.
    if (index >= text.length) {
      endRow();
      break;
    }
    if (text[index] === separator) {
      row.push(cell);
      cell = "";
      index += 1;
      continue;
    }
    if (text.startsWith("\r\n", index)) index += 2;
    else if (text[index] === "\n") index += 1;
    else throw new CsvSyntaxError(`unexpected ${JSON.stringify(text[index])} after a cell`, index);
    endRow();
  }
  return rows;
};

export const splitLikeSemicolonLocale = (text: string): string[][] =>
  text
    .split(/\r?\n(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .filter((line) => line !== "")
    .map((line) => {
      const cells: string[] = [];
      let index = 0;
      while (index <= line.length) {
        let cell = "";
        if (line[index] === '"') {
          index += 1;
          while (index < line.length && !(line[index] === '"' && line[index + 1] !== '"')) {
            if (line[index] === '"') index += 1;
            cell += line[index];
            index += 1;
          }
          index += 1;
        }
        while (index < line.length && line[index] !== ";") {
          cell += line[index];
          index += 1;
        }
        cells.push(cell);
        index += 1;
      }
      return cells;
    });
