/**
 * `clientpolicy convert script.ps1`: a script of the five CsClientPolicy cmdlets → the config-repo YAML or a
 * TypeScript program with the same end state. Reads the file only; never contacts a tenant. Logic in cli/convert/.
 */
import * as fs from "node:fs";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { convertScript } from "../convert/convert";
import { renderConvertTypeScript, renderConvertYaml } from "../convert/render";

/** Exit code when some lines were not converted (the output is still written). */
export const EXIT_PARTIAL = 2;

interface ConvertFlags {
    format: "yaml" | "ts";
    out?: string;
}

/** Registers `convert` on the program. */
export function register(program: Command): void {
    program.command("convert")
        .description("Convert a PowerShell script of CsClientPolicy cmdlets (New/Set/Get/Remove/Grant-CsClientPolicy, " +
            "New-CsClientPolicyEntry) into the declaration with the same end state.")
        .argument("<script>", "the .ps1 file")
        .addOption(new Option("--format <format>", "yaml: a config-repo tenant file; ts: a Pulumi TypeScript program").choices(["yaml", "ts"]).default("yaml"))
        .option("--out <file>", "write the declaration to this file instead of stdout")
        .addHelpText("after", [
            "",
            "The script is read as PowerShell reads it: <# … #> and # comments are skipped, a backtick continues a line only",
            "directly before the line break, typographic dashes and quotes count as - and quotes. Import-Module, Write-Host",
            "and preference variables ($ErrorActionPreference) change nothing and are only noted.",
            "Statements are applied in order: Set after New merges, Set on a policy the script did not create declares it with",
            "adopt: true, Grant -PolicyName $null unassigns, Remove removes (on Global: resets it), Get changes nothing.",
            "Every line that cannot be converted is listed on stderr as script.ps1:LINE:COLUMN: why, with a suggested",
            "corrected line where a small repair makes it valid; it is also listed in a comment at the top of the output.",
            "",
            "Exit codes:",
            "  0  every command line was converted",
            `  ${EXIT_PARTIAL}  some lines were not converted (listed on stderr; the rest is still written)`,
            "  1  the tool failed (script not readable, bad flags); nothing written",
            "",
            "Example:",
            "  clientpolicy convert offline-im.ps1 --format yaml --out tenants/contoso.yaml",
        ].join("\n"))
        .action((script: string, flags: ConvertFlags) => {
            process.exitCode = runConvert(script, flags);
        });
}

/** Runs the conversion; returns the exit code (0 or {@link EXIT_PARTIAL}); throws {@link CliError} for exit 1. */
export function runConvert(script: string, flags: ConvertFlags): number {
    let text: string;
    try {
        text = fs.readFileSync(script, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new CliError(`${script}: ${code === "ENOENT" ? "no such file; expected a PowerShell script (.ps1)" : `cannot be read (${code ?? (e as Error).message})`}`);
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const result = convertScript(text);
    const output = flags.format === "ts" ? renderConvertTypeScript(script, result) : renderConvertYaml(script, result);
    if (flags.out) {
        try {
            fs.writeFileSync(flags.out, output);
        } catch (e) {
            throw new CliError(`--out ${flags.out}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
    } else {
        process.stdout.write(output);
    }
    for (const n of result.notes) process.stderr.write(`${script}:${n.line}: note: ${n.message}\n`);
    for (const p of result.problems) {
        process.stderr.write(`${script}:${p.line}:${p.column}: not converted: ${p.reason}\n    ${p.text}\n`);
        if (p.suggestion) process.stderr.write(`    suggested: ${p.suggestion}\n`);
    }
    process.stderr.write(`${result.converted} of ${result.commands} command lines converted` +
        (result.problems.length ? `; ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"} (exit ${EXIT_PARTIAL})` : "") + "\n");
    return result.problems.length ? EXIT_PARTIAL : 0;
}
