/**
 * An RFC 4180 CSV reader for tests that check exports cell by cell: quoted cells may hold
 * commas, doubled quotes, CR and LF. It refuses what a spreadsheet would read differently (a
 * quote inside an unquoted cell, text after a closing quote, an unterminated quote), so a test
 * never passes over a cell it misread.
 */
export const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let state: "start" | "bare" | "quoted" | "closed" = "start";
  const endCell = () => {
    row.push(cell);
    cell = "";
    state = "start";
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (state === "quoted") {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') state = "closed";
      else cell += c;
      continue;
    }
    if (c === ",") endCell();
    else if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
      if (c === "\r") i += 1;
      endCell();
      rows.push(row);
      row = [];
    } else if (state === "closed") throw new Error(`CSV: text after a closing quote at offset ${i}`);
    else if (c === '"') {
      if (state === "bare") throw new Error(`CSV: a quote inside an unquoted cell at offset ${i}`);
      state = "quoted";
    } else {
      cell += c;
      state = "bare";
    }
  }
  if (state === "quoted") throw new Error("CSV: unterminated quoted cell");
  // A last line without its line break still counts.
  if (state !== "start" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
};
