/**
 * A report's files: writing `report.md` / `report.json` (masked) and reading a JSON report back for `report merge`,
 * validated against the format (api/report.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { reportSchema, REPORT_FORMAT_VERSION, type Report } from "../../api/report";
import { CliError } from "../errors";
import { FORMATS, type Format } from "./flags";
import { renderMarkdown } from "./markdown";
import type { Masker } from "./mask";

/**
 * Checks `--format` against `--out`: stdout takes one format (Markdown and JSON back to back would be neither).
 *
 * @throws CliError naming both flags.
 */
export function checkFormatsOut(formats: readonly Format[], outDir: string | undefined): void {
    if (!outDir && formats.length > 1) throw new CliError(`--format ${formats.join(",")}: without --out only one format can be printed; add --out DIR to write ${formats.map((f) => `report.${f}`).join(" and ")}`);
}

/**
 * Makes the `--out` folder ready before any stack runs, so a folder that cannot be written fails the command in a
 * second rather than after the fleet's runs: creates it, checks that it is a folder this process can write, and
 * removes the report files an earlier run left there (a `report.json` of yesterday's `--format md,json` run beside
 * today's `report.md` would be read by the next pipeline step as today's).
 *
 * @throws CliError naming `flag`, the folder and what is wrong (a file, not writable, cannot be created).
 */
export function prepareOutDir(outDir: string, flag = "--out"): void {
    const fail = (why: string): never => { throw new CliError(`${flag} ${outDir}: ${why}`); };
    if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) fail("is a file, not a folder");
    // One level at a time from the nearest existing folder: Node 22's recursive mkdirSync never returns for a path
    // under /proc (it retries the ENOENT the kernel answers there).
    const missing: string[] = [];
    for (let dir = path.resolve(outDir); !fs.existsSync(dir); dir = path.dirname(dir)) missing.unshift(dir);
    for (const dir of missing) {
        try {
            fs.mkdirSync(dir);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            fail(code === "EEXIST" || code === "ENOTDIR" ? "is under a file, not a folder" : `cannot create the folder (${code ?? (e as Error).message})`);
        }
    }
    try {
        fs.accessSync(outDir, fs.constants.W_OK);
    } catch {
        fail("is not writable by this user");
    }
    for (const f of FORMATS) fs.rmSync(path.join(outDir, `report.${f}`), { force: true });
}

/**
 * Checks before any stack runs that `file` can be written: its folder exists and is writable, and `file` is not a
 * folder.
 *
 * @throws CliError naming `flag`, the file and what is wrong.
 */
export function checkOutFile(file: string, flag: string): void {
    const dir = path.dirname(path.resolve(file));
    const fail = (why: string): never => { throw new CliError(`${flag} ${file}: ${why}`); };
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) fail(`its folder ${dir} does not exist`);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) fail("is a folder, not a file");
    try {
        fs.accessSync(fs.existsSync(file) ? file : dir, fs.constants.W_OK);
    } catch {
        fail("is not writable by this user");
    }
}

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
