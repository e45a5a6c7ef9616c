/**
 * `clientpolicy report`: one report of what would change in every tenant stack of a Pulumi project (plan), what
 * drifted in the tenants (drift), or both (full), as Markdown for a pull-request comment and JSON; and
 * `clientpolicy report merge` to combine the JSON reports of sharded jobs. Logic in cli/report/.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { packageVersion } from "../packageVersion";
import { loadAcceptRules, proposeRules } from "../report/accept";
import { assemble } from "../report/assemble";
import { EXIT, exitCodeOf } from "../report/exitCodes";
import { FAIL_ON, FORMATS, parseList } from "../report/flags";
import { checkFormatsOut, checkOutFile, prepareOutDir, readReport, writeOutputs } from "../report/io";
import { Masker, maskPatterns } from "../report/mask";
import { mergeReports } from "../report/merge";
import { gitSha, today } from "../report/runInfo";
import { DEFAULT_BUDGET } from "../report/markdown";
import { MODES, type Mode } from "../../api/report";
import { declaredTenants, listStacks, openFleet, runFleet } from "../report/run";
import { parseShard, pickShard } from "../report/shard";

const EXIT_HELP = `
Exit codes:
  0  clean: nothing found that --fail-on lists
  2  changes found: drift and/or pending changes of a kind --fail-on lists
  3  partial: some tenants errored (auth failure, unreachable, throttled after retries, timeout) and --fail-on lists
     error; report still written. 3 wins over 2 when both apply
  1  the tool itself failed (bad flag, no project, unreadable accept rules, an --out that cannot be written); no report written

A tenant whose reads failed is "error" with the reason: never drifted, never clean. So is a stack whose tenant could
not be checked in plan mode (configuration incomplete, tenant unreachable, credentials rejected).
A tenant the repository declares (Pulumi.<name>.yaml or tenants/<name>.yaml) without a stack is "new": its program is
previewed against a throw-away backend and it counts as a pending change (exit 2 when --fail-on lists pending).`;

const MERGE_EXIT_HELP = `
Exit codes: as \`clientpolicy report\` for the merged report (0 clean, 2 changes, 3 tenants errored; --fail-on decides),
and 1 when the reports cannot be merged (unreadable, another mode or project, overlapping stacks, a shard of the run
missing); no report written then.`;

function intOption(flag: string, min: number, max: number) {
    return (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CliError(`${flag}: expected an integer ${min}–${max}, got ${JSON.stringify(v)}`);
        return Number(v);
    };
}

/**
 * Stacks run at once by default: one per core this process may use (`os.availableParallelism()`, which honours CPU
 * affinity). Each stack's run is CPU-bound (the CLI, the program and the provider host start per stack), so more at
 * once only share the same cores.
 */
export function defaultParallel(): number {
    return Math.min(64, Math.max(1, os.availableParallelism()));
}

function collect(v: string, prev: string[]): string[] {
    return [...prev, v];
}

/** How the report names a file: relative to the project folder, or only its name when outside (no runner paths). */
function projectRelative(dir: string, file: string): string {
    const rel = path.relative(dir, file);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : path.basename(file);
}

/** The `name:` of the project's Pulumi.yaml. */
function projectName(dir: string): string {
    const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    if (!file) throw new CliError(`--dir ${dir}: no Pulumi.yaml (expected a Pulumi project folder with one stack per tenant)`);
    const m = /^name:\s*["']?([^"'\s#]+)/m.exec(fs.readFileSync(file, "utf8"));
    if (!m) throw new CliError(`${file}: no "name:" line`);
    return m[1];
}

interface ReportFlags {
    mode: Mode;
    stacks?: string;
    all?: boolean;
    format: string;
    out?: string;
    parallel: number;
    timeout: number;
    failOn: string;
    shard?: string;
    dir: string;
    accept: string;
    writeAccept?: string;
    mask: string[];
    budget: number;
    impact: boolean;
    programProcess?: boolean;
}

/** Registers `report` and `report merge` on the program. */
export function register(program: Command): void {
    // `report merge` has its own --format/--out/…: commander gives options after a subcommand to that subcommand only
    // when every command above it parses positionally (the program has no options of its own besides -V and -h).
    program.enablePositionalOptions();
    const report = program.command("report")
        .enablePositionalOptions()
        .description("Report what would change (plan), what drifted (drift) or both (full) in every tenant stack of a Pulumi project, as Markdown and JSON.")
        .addOption(new Option("--mode <mode>", "required. plan: code vs state (preview); drift: tenant vs state (refresh --preview-only --run-program: today's program and config, never writes state); full: both").choices([...MODES]))
        .option("--stacks <list>", "comma-separated stack names (one stack per tenant)")
        .option("--all", "every stack of the project, and every tenant its files declare without a stack (new tenants)")
        .option("--format <list>", "md, json or both (comma-separated; both need --out)", "md")
        .option("--out <dir>", "write report.md / report.json into this folder (default: print to stdout)")
        .addOption(new Option("--parallel <n>", "stacks run at once (1–64)").argParser(intOption("--parallel", 1, 64))
            .default(defaultParallel(), `the cores this process may use, here ${defaultParallel()}`))
        .option("--timeout <seconds>", "per-stack limit; a stack over it is an error (timeout)", intOption("--timeout", 1, 86400), 600)
        .option("--fail-on <list>", "what makes the exit code non-zero: drift, pending, error", "drift,pending,error")
        .option("--shard <i/n>", "only the i-th of n stable subsets of the stacks (for CI matrices; combine with `report merge`)")
        .option("--dir <folder>", "the Pulumi project folder", ".")
        .option("--accept <file>", "accepted-drift rules (missing file: none)", "drift-accept.yaml")
        .option("--write-accept <file>", "also write rules accepting today's drift to this file (existing rules kept), for review")
        .option("--mask <regex>", "also mask text matching this JavaScript regular expression in every output (repeatable)", collect, [])
        .option("--budget <chars>", "maximum Markdown size in characters", intOption("--budget", 1000, 10_000_000), DEFAULT_BUDGET)
        .option("--no-impact", "do not read assignments to count the users each change reaches")
        .option("--program-process", "run each stack's program in its own node process, as `pulumi preview` does (default: in the report's process, one load of the SDK for every stack)")
        .addHelpText("after", EXIT_HELP + `

Examples:
  clientpolicy report --mode plan --all --format md --out report/
  clientpolicy report --mode drift --all --shard 2/4 --format json --out shard-2/ --fail-on drift,error
  clientpolicy report merge shard-*/report.json --format md,json --out merged/`)
        .action(async (flags: ReportFlags) => {
            process.exitCode = await reportAction(flags);
        });

    report.command("merge")
        .description("Combine the JSON reports of sharded jobs into one report (same aggregation, budget and exit-code rules).")
        .argument("<files...>", "JSON reports written by `clientpolicy report --format json`")
        .option("--format <list>", "md, json or both (both need --out)", "md")
        .option("--out <dir>", "write report.md / report.json into this folder (default: stdout)")
        .option("--fail-on <list>", "drift, pending, error", "drift,pending,error")
        .option("--accept <file>", "accepted-drift rules applied to the merged report", "drift-accept.yaml")
        .option("--mask <regex>", "mask text matching this regular expression (repeatable)", collect, [])
        .option("--budget <chars>", "maximum Markdown size in characters", intOption("--budget", 1000, 10_000_000), DEFAULT_BUDGET)
        .addHelpText("after", MERGE_EXIT_HELP)
        .action(async (files: string[], flags: { format: string; out?: string; failOn: string; accept: string; mask: string[]; budget: number }) => {
            const formats = parseList("--format", flags.format, FORMATS);
            checkFormatsOut(formats, flags.out);
            const failOn = parseList("--fail-on", flags.failOn, FAIL_ON);
            const masker = new Masker(maskPatterns(flags.mask));
            const rules = loadAcceptRules(flags.accept, flags.accept !== "drift-accept.yaml");
            const { tenants, meta } = mergeReports(files.map(readReport), files);
            if (flags.out) prepareOutDir(flags.out);
            const r = assemble(tenants, { ...meta, packageVersion: packageVersion() }, rules, today());
            writeOutputs(r, formats, flags.out, masker, flags.budget);
            process.exitCode = exitCodeOf(r, failOn);
        });
}

async function reportAction(f: ReportFlags): Promise<number> {
    // Checked here rather than as a mandatory option: commander would demand it of `report merge` too.
    if (!f.mode) throw new CliError(`--mode is required: one of ${MODES.join(", ")}`);
    const formats = parseList("--format", f.format, FORMATS);
    checkFormatsOut(formats, f.out);
    const failOn = parseList("--fail-on", f.failOn, FAIL_ON);
    const masker = new Masker(maskPatterns(f.mask));
    const shard = f.shard ? parseShard(f.shard) : undefined;
    if (!f.all && !f.stacks) throw new CliError("name the stacks: --stacks a,b or --all");
    if (f.all && f.stacks) throw new CliError("--stacks and --all exclude each other");
    const dir = path.resolve(f.dir);
    const project = projectName(dir);
    const acceptFile = path.isAbsolute(f.accept) ? f.accept : path.resolve(dir, f.accept);
    const rules = loadAcceptRules(acceptFile, f.accept !== "drift-accept.yaml", projectRelative(dir, acceptFile));
    // What the run will write is checked (and stale report files removed) before any stack runs.
    if (f.out) prepareOutDir(f.out);
    if (f.writeAccept) checkOutFile(f.writeAccept, "--write-accept");
    const started = new Date();
    const cannot = (e: Error): never => { throw new CliError(`cannot list the stacks of ${dir}: ${masker.text(e.message.split("\n")[0])}`); };
    const workspace = await openFleet(dir).catch(cannot);
    const known = await listStacks(workspace).catch(cannot);
    // The fleet is the repository: tenants its files declare but the backend has no stack for are reported as new.
    const declared = declaredTenants(dir).filter((n) => !known.includes(n));
    let stacks: string[];
    let newStacks: string[];
    if (f.all) [stacks, newStacks] = [known, declared];
    else {
        const named = parseList("--stacks", f.stacks!, known.length + declared.length > 0 ? [...known, ...declared] : ["(none)"]);
        [stacks, newStacks] = [named.filter((n) => known.includes(n)), named.filter((n) => !known.includes(n))];
    }
    if (shard) [stacks, newStacks] = [pickShard(stacks, shard), pickShard(newStacks, shard)];
    const progress = (line: string) => process.stderr.write(masker.text(line) + "\n");
    progress(`clientpolicy report --mode ${f.mode}: ${stacks.length} stack(s)${newStacks.length ? ` and ${newStacks.length} new tenant(s) without a stack (${newStacks.join(", ")})` : ""}${shard ? ` (shard ${shard.index}/${shard.count})` : ""}, ${f.parallel} at a time`);
    const tenants = await runFleet({
        workspace, mode: f.mode, stacks, newStacks, parallel: f.parallel, timeoutMs: f.timeout * 1000, impact: f.impact,
        programProcess: f.programProcess, onSecret: (v) => masker.addSecret(v), progress,
    });
    const r = assemble(tenants, {
        mode: f.mode, project, stacks: [...stacks, ...newStacks], shard, startedAt: started.toISOString(), durationMs: Date.now() - started.getTime(),
        gitSha: gitSha(dir), cliVersion: `v${workspace.pulumiVersion}`, packageVersion: packageVersion(),
    }, rules, today());
    const written = writeOutputs(r, formats, f.out, masker, f.budget);
    if (f.writeAccept) {
        fs.writeFileSync(f.writeAccept, masker.text(proposeRules(r.tenants, rules, today())));
        written.push(f.writeAccept);
    }
    const code = exitCodeOf(r, failOn);
    const c = r.counts;
    progress(`done: ${c.tenants} tenant(s): ${c.clean} clean, ${c.changed} changed, ${c.new} new, ${c.error} error${written.length ? `; wrote ${written.join(", ")}` : ""}; exit ${code}`);
    return code === EXIT.clean ? 0 : code;
}
