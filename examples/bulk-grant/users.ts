// Reads the users to grant from a CSV file, as the tools administrators use write it:
//
//   Windows PowerShell 5.1  Get-CsUser | Select-Object SipAddress,DisplayName | Export-Csv users.csv
//                           (a "#TYPE …" first line, every field quoted, CRLF; a BOM with -Encoding UTF8)
//   PowerShell 7            the same without "#TYPE" (or -UseQuotes AsNeeded: quotes only where needed)
//   Excel                   "CSV UTF-8": a BOM, CRLF, quotes only around fields holding commas or quotes
//
// Parsing is csv-parse's (RFC 4180: quoted fields, commas and doubled quotes inside quotes, CRLF or LF). The column
// is found by name, case-insensitively (`SipAddress` as Get-CsUser names it, or `sipAddress`); other columns are
// ignored. A file that is wrong fails with the file, the line and the column.
import * as fs from "node:fs";
import { CsvError, parse } from "csv-parse/sync";

/** The column that names each user; any identity form works there (SIP address, UPN, display name, …). */
export const USER_COLUMN = "sipAddress";

/** Reads the user column of `file`; throws an Error whose message starts `<file>:<line>` for a bad file. */
export function readUsers(file: string): string[] {
    let records: string[][];
    const lines: number[] = []; // the line each record ends on
    try {
        records = parse(fs.readFileSync(file), {
            bom: true,
            // Windows PowerShell 5.1's "#TYPE <type name>" line; a "#" inside a field is data.
            comment: "#",
            comment_no_infix: true,
            skip_empty_lines: true,
            // Excel writes a row whose cells were emptied as ",,".
            skip_records_with_empty_values: true,
            trim: true,
            on_record: (record, context) => { lines.push(context.lines); return record; },
        });
    } catch (err) {
        if (!(err instanceof CsvError)) throw err;
        const reason = err.message.replace(/ (at|on) line \d+/, "");
        if (err.code === "CSV_QUOTE_NOT_CLOSED") {
            throw new Error(`${file}:${(lines.at(-1) ?? 0) + 1}: a quoted field starts on this line or the next and its closing quote never comes (${reason})`);
        }
        // Invalid Record Length: the first field beyond the header's count; other errors: the field being read.
        const field = err.code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH" || err.code === "CSV_RECORD_INCONSISTENT_COLUMNS" ? Number(/expect (\d+)/.exec(err.message)?.[1]) : err.index;
        const column = typeof field === "number" && !Number.isNaN(field) ? `, column ${field + 1}` : "";
        const hint = field === err.index ? "" : " (a value holding a comma must be in double quotes)";
        throw new Error(`${file}:${err.lines}${column}: ${reason}${hint}`);
    }
    if (records.length === 0) throw new Error(`${file}:1: the file is empty; expected a header line with a "${USER_COLUMN}" column`);
    const [header, ...rows] = records;
    const col = header.findIndex((h) => h.toLowerCase() === USER_COLUMN.toLowerCase());
    if (col < 0) {
        throw new Error(`${file}:${lines[0]}: expected a "${USER_COLUMN}" column (any case), found: ${header.join(", ")}`);
    }
    return rows.map((record, i) => {
        const value = record[col];
        if (!value) throw new Error(`${file}:${lines[i + 1]}, column ${col + 1}: the ${header[col]} column is empty`);
        return value;
    });
}
