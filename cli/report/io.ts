/**
 * A report's files: writing `report.md` / `report.json` (masked) and reading a JSON report back for `report merge`,
 * validated against the format (api/report.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { reportSchema, REPORT_FORMAT_VERSION, type Report } from "../../api/report";
import { CliError } from "../errors";
import type { Format } from "./flags";
import { renderMarkdown } from "./markdown";
import type { Masker } from "./mask";

/** Writes `report.md` / `report.json` into `outDir` (or the one requested format to stdout when no dir). */
export function writeOutputs(r: Report, formats: readonly Format[], outDir: string | undefined, masker: Masker, budget: number): string[] {
    const masked = masker.deep(r);
    const written: string[] = [];
    const json = masker.text(JSON.stringify(masked, null, 2) + "\n");
    const mdText = () => masker.text(renderMarkdown(masked, { budget, fullReport: formats.includes("json") ? "report.json" : undefined }));
    if (outDir) {
        fs.mkdirSync(outDir, { recursive: true });
        for (const f of formats) {
            const file = path.join(outDir, `report.${f}`);
            fs.writeFileSync(file, f === "json" ? json : mdText());
            written.push(file);
        }
    } else {
        for (const f of formats) process.stdout.write(f === "json" ? json : mdText());
    }
    return written;
}

/** Reads and validates a JSON report (for merge), naming the file and the first bad fields. */
export function readReport(file: string): Report {
    let data: unknown;
    try {
        data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new CliError(`${file}: cannot read a JSON report (${(e as Error).message})`);
    }
    const parsed = reportSchema.safeParse(data);
    if (!parsed.success) {
        const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`).join("; ");
        throw new CliError(`${file}: not a clientpolicy report of formatVersion ${REPORT_FORMAT_VERSION}: ${where}`);
    }
    return parsed.data;
}
