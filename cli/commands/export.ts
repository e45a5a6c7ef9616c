/**
 * `clientpolicy export`: writes the declaration that reproduces a tenant's client policies (and, with
 * `--include-grants`, its direct grants) as a TypeScript Pulumi program or as config-repo YAML. Read-only against
 * the tenant. Logic in cli/export/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, Option } from "commander";
import { CliError } from "../errors";
import { ConnectionFlags, clientFor, resolveConnection } from "../export/connection";
import { readTenant } from "../export/read";
import { nameResources, renderTypeScript, renderYaml } from "../export/render";

interface ExportFlags extends ConnectionFlags {
    format: "ts" | "yaml";
    out?: string;
    includeGrants?: boolean;
    force?: boolean;
}

/** The file `--out DIR` receives for each format. */
export const OUTPUT_FILE = { ts: "index.ts", yaml: "tenant.yaml" } as const;

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
        .option("--out <dir>", `write ${OUTPUT_FILE.ts} (ts) or ${OUTPUT_FILE.yaml} (yaml) into this folder instead of stdout`)
        .option("--include-grants", "also export every direct grant (one PolicyGrant per policy, users by SIP address)")
        .option("--force", "overwrite the output file when it exists")
        .addHelpText("after", [
            "",
            "Reads every client policy (Global, site:, Tag:) over the tenant API, and with --include-grants every direct grant.",
            "Settings are written in the provider's canonical form (camelCase properties); unset settings are left out.",
            "Progress goes to stderr. Exit codes: 0 written; 1 bad flags, configuration or tenant error (nothing written).",
            "",
            "Examples:",
            "  clientpolicy export --stack dev --include-grants --out .",
            "  CLIENTPOLICY_CLIENT_SECRET=… clientpolicy export --endpoint https://api.example --tenant contoso.example --client-id app --format yaml",
        ].join("\n"))
        .action(async (flags: ExportFlags) => {
            await runExport(flags);
        });
}

/** Runs an export; resolves when the output is written. */
export async function runExport(flags: ExportFlags): Promise<void> {
    const progress = (line: string) => process.stderr.write(`export: ${line}\n`);
    let target: string | undefined;
    if (flags.out !== undefined) {
        const dir = path.resolve(flags.out);
        if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new CliError(`--out: ${dir} is not a directory`);
        target = path.join(dir, OUTPUT_FILE[flags.format]);
        if (fs.existsSync(target) && !flags.force) throw new CliError(`--out: ${target} exists; pass --force to overwrite it`);
    }
    const connection = await resolveConnection(flags);
    const client = clientFor(connection);
    progress(`reading tenant ${client.tenantId} at ${client.endpoint} (connection from ${connection.source})`);
    const started = Date.now();
    const snapshot = await readTenant(client, { includeGrants: flags.includeGrants === true, progress });
    const decl = nameResources(snapshot);
    const text = flags.format === "yaml" ? renderYaml(decl) : renderTypeScript(decl);
    const users = snapshot.grants.reduce((n, g) => n + g.users.length, 0);
    if (target) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
    } else {
        process.stdout.write(text);
    }
    progress(`${snapshot.policies.length} policies, ${users} granted users → ${target ?? "stdout"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
