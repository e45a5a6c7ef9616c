/**
 * `clientpolicy export`: writes the declaration that reproduces a tenant's client policies (and, with
 * `--include-grants`, its direct grants) as a TypeScript Pulumi program or as a config repo (YAML). Says who owns each
 * object today and refuses to declare `adopt: true` over another stack's objects without `--take-over`. Read-only
 * against the tenant. Logic in cli/export/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { ConnectionFlags, clientFor, resolveConnection } from "../export/connection";
import { ownerText, ownershipView } from "../export/owners";
import { readTenant } from "../export/read";
import { nameResources, renderTypeScript, renderYaml } from "../export/render";
import { checkNames, existingFiles, nextSteps, pinnedVersions, repoFiles, writeRepo } from "../export/repo";

interface ExportFlags extends ConnectionFlags {
    format: "ts" | "yaml";
    out?: string;
    includeGrants?: boolean;
    force?: boolean;
    takeOver?: boolean;
    stackName?: string;
    project: string;
    packageSpec?: string;
}

/** The file `--out DIR` receives with `--format ts`; `--format yaml` writes a config repo (cli/export/repo.ts). */
export const OUTPUT_FILE = { ts: "index.ts" } as const;

/** Default Pulumi project name of an exported config repo (docs/config-repo.md uses it too). */
export const DEFAULT_PROJECT = "tenant-policies";

/** Adds the connection options shared with `clientpolicy cmdlets`. */
export function connectionOptions(cmd: Command, direct: boolean): Command {
    cmd.option("--stack <name>", "read the tenant connection from this Pulumi stack's clientpolicy:* configuration (secret included)")
        .option("--dir <dir>", "the Pulumi project folder of --stack (default: the current directory)");
    if (direct) {
        cmd.option("--endpoint <url>", "tenant API base URL (instead of --stack; or CLIENTPOLICY_ENDPOINT)")
            .option("--tenant <id>", "tenant id or domain (or CLIENTPOLICY_TENANT_ID)")
            .option("--client-id <id>", "app (client) id (or CLIENTPOLICY_CLIENT_ID); the secret is read from CLIENTPOLICY_CLIENT_SECRET only");
    }
    return cmd;
}

/** Registers `export` on the program. */
export function register(program: Command): void {
    const cmd = program.command("export")
        .description("Write the declaration (TypeScript program or config-repo YAML) that reproduces a tenant's client policies " +
            "and grants, every resource with adopt: true so the first `pulumi up` takes the tenant over without changing it.");
    connectionOptions(cmd, true)
        .addOption(new Option("--format <format>", "output format").choices(["ts", "yaml"]).default("ts"))
        .option("--out <dir>", `ts: write ${OUTPUT_FILE.ts} into this folder; yaml: write a config repo there (baseline.yaml, ` +
            "tenants/<stack>.yaml, Pulumi.yaml, Pulumi.<stack>.yaml, package.json, index.ts, tsconfig.json); default: the program or tenant file on stdout")
        .option("--include-grants", "also export every direct grant (one PolicyGrant per policy, users by SIP address)")
        .option("--take-over", "write adopt: true also for objects another stack owns (its next `pulumi up` then fails naming this one)")
        .option("--stack-name <name>", "yaml --out: the stack of the config repo (tenants/<name>.yaml, Pulumi.<name>.yaml); default: --stack")
        .option("--project <name>", "yaml --out: the Pulumi project name", DEFAULT_PROJECT)
        .option("--package-spec <spec>", "yaml --out: how package.json asks for clientpolicy-as-code (a version, a .tgz path or a git URL); default: this version")
        .option("--force", "overwrite output files that exist")
        .addHelpText("after", [
            "",
            "Reads every client policy (Global, site:, Tag:) over the tenant API, and with --include-grants every direct grant.",
            "Settings are written in the provider's canonical form (camelCase properties); unset settings are left out.",
            "Prints the owner each object has today (nobody, this stack, or another stack's resource). Every resource is",
            "written with adopt: true; objects another stack owns make the export fail, naming them and their owners,",
            "unless --take-over is given (nothing is written then).",
            "Progress and owners go to stderr. Exit codes: 0 written; 1 bad flags, configuration, tenant error or objects",
            "another stack owns without --take-over (nothing written).",
            "",
            "Examples:",
            "  clientpolicy export --stack dev --include-grants --out .",
            "  CLIENTPOLICY_CLIENT_SECRET=… clientpolicy export --endpoint https://gw.example:8443 --tenant contoso.example --client-id app \\",
            "      --include-grants --format yaml --stack-name contoso --out contoso-policies",
        ].join("\n"))
        .action(async (flags: ExportFlags) => {
            await runExport(flags);
        });
}

/** Runs an export; resolves when the output is written. */
export async function runExport(flags: ExportFlags): Promise<void> {
    const progress = (line: string) => process.stderr.write(`export: ${line}\n`);
    const repo = flags.format === "yaml" && flags.out !== undefined;
    const stackName = flags.stackName ?? flags.stack;
    if (!repo) {
        for (const [flag, given] of [["--stack-name", flags.stackName], ["--package-spec", flags.packageSpec]] as const) {
            if (given !== undefined) throw new CliError(`${flag} names a part of the config repo that --format yaml --out writes; give those two as well`);
        }
    }
    if (repo) {
        if (stackName === undefined) throw new CliError("--format yaml --out writes tenants/<stack>.yaml and Pulumi.<stack>.yaml: name the stack with --stack-name");
        checkNames(flags.project ?? DEFAULT_PROJECT, stackName);
        if (flags.packageSpec !== undefined && flags.packageSpec.trim() === "") throw new CliError("--package-spec must not be empty");
    }
    let dir: string | undefined;
    if (flags.out !== undefined) {
        dir = path.resolve(flags.out);
        if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new CliError(`--out: ${dir} is not a directory`);
        const target = path.join(dir, OUTPUT_FILE.ts);
        if (!repo && fs.existsSync(target) && !flags.force) throw new CliError(`--out: ${target} exists; pass --force to overwrite it`);
    }
    const connection = await resolveConnection(flags);
    const client = clientFor(connection);
    progress(`reading tenant ${client.tenantId} at ${client.endpoint} (connection from ${connection.source})`);
    const started = Date.now();
    const snapshot = await readTenant(client, { includeGrants: flags.includeGrants === true, progress });
    const decl = nameResources(snapshot, connection.stack);

    // Who owns what today, then the refusal to take another stack's objects over unasked.
    const view = ownershipView(decl.policies, decl.grants, connection.stack);
    progress(`owners today${connection.stack ? ` (seen from stack ${connection.stack.project}/${connection.stack.stack})` : ""}:`);
    for (const line of view.lines) progress(`  ${line}`);
    if (view.foreign.length > 0 && !flags.takeOver) {
        throw new CliError([
            `${view.foreign.length} exported object${view.foreign.length === 1 ? " is" : "s are"} owned by another stack; ` +
            "with adopt: true the first `pulumi up` of this export would take them over, and their stack's next `up` would fail:",
            ...view.foreign.map((f) => `  ${f.object}: ${ownerText(f.owner, connection.stack)}`),
            "Nothing was written. Remove these resources from the stack that owns them first, or pass --take-over to write adopt: true anyway.",
        ].join("\n"));
    }
    if (view.foreign.length > 0) progress(`--take-over: ${view.foreign.length} object(s) another stack owns are declared with adopt: true`);

    const users = snapshot.grants.reduce((n, g) => n + g.users.length, 0);
    const summary = `${snapshot.policies.length} policies, ${users} granted users`;
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (repo) {
        const pins = pinnedVersions();
        const packageSpec = flags.packageSpec ?? pins.version;
        const files = repoFiles({
            project: flags.project ?? DEFAULT_PROJECT, stack: stackName!, config: connection.config, packageSpec, tenantYaml: renderYaml(decl),
        });
        const existing = existingFiles(dir!, files.keys());
        if (existing.length > 0 && !flags.force) {
            throw new CliError(`--out: ${existing.join(", ")} exist${existing.length === 1 ? "s" : ""}; pass --force to overwrite ${existing.length === 1 ? "it" : "them"} (nothing was written)`);
        }
        writeRepo(dir!, files);
        progress(`${summary} → config repo ${dir} (tenants/${stackName}.yaml) in ${elapsed()}`);
        for (const line of nextSteps(dir!, stackName!, packageSpec, pins.version)) progress(line);
        return;
    }
    const text = flags.format === "yaml" ? renderYaml(decl) : renderTypeScript(decl);
    let target: string | undefined;
    if (dir !== undefined) {
        target = path.join(dir, OUTPUT_FILE.ts);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(target, text);
    } else {
        process.stdout.write(text);
    }
    progress(`${summary} → ${target ?? "stdout"} in ${elapsed()}`);
}
