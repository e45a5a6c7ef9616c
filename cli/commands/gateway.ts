/**
 * `clientpolicy gateway`: the Skype for Business Server gateway — `serve` (run it from a configuration file),
 * `hash-secret` (a client secret's stored form, read from stdin), `module` (write the shipped PowerShell module),
 * `jea` (write the JEA session configuration and role capability) and `selftest` (read Global and one user through
 * the configured shell and check the projection against the catalogue). Logic in gateway/.
 */
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { ConfigFileError, hashSecret, loadConfig } from "../../gateway/config";
import { JEA_DEFAULTS, writeJea } from "../../gateway/jea";
import { writeModule } from "../../gateway/module";
import { selfTest } from "../../gateway/selftest";
import { startGateway } from "../../gateway/server";
import { ShellPool } from "../../gateway/shell";
import { CliError } from "../errors";

function config(file: string) {
    try {
        return loadConfig(file);
    } catch (e) {
        if (e instanceof ConfigFileError) throw new CliError(e.message);
        throw e;
    }
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Registers `gateway` and its subcommands. */
export function register(program: Command): void {
    const gw = program.command("gateway").description("The tenant API gateway for Skype for Business Server (Management Shell backend).");

    gw.command("serve")
        .description("Run the gateway: the tenant API over a pool of Management Shell processes. Stops on SIGINT/SIGTERM.")
        .requiredOption("--config <file>", "the gateway's YAML configuration (see README: Running against Skype for Business Server)")
        .action(async (o: { config: string }) => {
            const cfg = config(o.config);
            const gateway = await startGateway(cfg).catch((e: Error) => { throw new CliError(`the gateway could not start: ${e.message}`); });
            process.stdout.write(`gateway listening on ${gateway.url} for ${cfg.tenants.map((t) => t.id).join(", ")}\n`);
            // SIGHUP re-reads clients[] (revocation without a restart; POSIX only: on Windows, restart the service).
            const reload = () => {
                try {
                    gateway.reloadClients(loadConfig(o.config).clients);
                    process.stdout.write(`gateway: clients reloaded from ${o.config}\n`);
                } catch (e) {
                    process.stderr.write(`gateway: reload refused, the running clients stay: ${(e as Error).message}\n`);
                }
            };
            if (process.platform !== "win32") process.on("SIGHUP", reload);
            await new Promise<void>((resolve) => {
                const stop = () => { process.stdout.write("gateway: shutting down\n"); process.off("SIGHUP", reload); void gateway.close().then(resolve); };
                process.once("SIGINT", stop);
                process.once("SIGTERM", stop);
            });
        });

    gw.command("hash-secret")
        .description("Print the stored form (scrypt hash) of a client secret read from stdin, for the config file's clients[].secretHash.")
        .action(async () => {
            const secret = await readStdin();
            try {
                process.stdout.write(hashSecret(secret) + "\n");
            } catch (e) {
                throw new CliError(`stdin: ${(e as Error).message}`);
            }
        });

    gw.command("module")
        .description("Write the PowerShell module the gateway imports into each shell session (projection and host loop), generated from the catalogue.")
        .option("--out <dir>", "output folder", "gateway/module")
        .action((o: { out: string }) => {
            mkdirSync(o.out, { recursive: true });
            process.stdout.write(`${writeModule(o.out)}\n`);
        });

    gw.command("jea")
        .description("Write the JEA session configuration (.pssc) and role capability (.psrc) exposing only the ClientPolicy cmdlets and Get-CsUser.")
        .option("--out <dir>", "output folder", "gateway/jea")
        .option("--group <name>", "AD group allowed to connect (the gateway's service account)", JEA_DEFAULTS.group)
        .option("--gmsa <name>", "run as this group-managed service account instead of a virtual account")
        .option("--transcripts <dir>", "JEA transcript folder", JEA_DEFAULTS.transcripts)
        .action((o: { out: string; group: string; gmsa?: string; transcripts: string }) => {
            if (!/^[^\r\n']+$/.test(o.group)) throw new CliError(`--group: expected a DOMAIN\\Group name, got ${JSON.stringify(o.group)}`);
            for (const f of writeJea(o.out, { group: o.group, gmsa: o.gmsa, transcripts: o.transcripts })) process.stdout.write(`${f}\n`);
        });

    gw.command("selftest")
        .description("Read Global and one user through the configured Management Shell and check every projected setting against the catalogue.\n" +
            "Exit codes: 0 all checks pass, 2 a check failed, 1 the shell could not be started.")
        .requiredOption("--config <file>", "the gateway's YAML configuration")
        .requiredOption("--user <identity>", "a user to read (SIP address or UPN)")
        .option("--tenant <id>", "which configured tenant (default the first)")
        .action(async (o: { config: string; user: string; tenant?: string }) => {
            const cfg = config(o.config);
            const t = o.tenant === undefined ? cfg.tenants[0] : cfg.tenants.find((x) => x.id.toLowerCase() === o.tenant!.toLowerCase());
            if (!t) throw new CliError(`--tenant: ${o.config} has no tenant ${JSON.stringify(o.tenant)} (it has ${cfg.tenants.map((x) => x.id).join(", ")})`);
            const pool = new ShellPool({ shell: t.shell, size: 1, commandTimeoutMs: t.shell.commandTimeoutSeconds * 1000 });
            try {
                await pool.start().catch((e: Error) => { throw new CliError(`the shell (${path.basename(t.shell.command)}) could not start: ${e.message}`); });
                const findings = await selfTest(pool, o.user);
                for (const f of findings) process.stdout.write(`${f.ok ? "ok  " : "FAIL"} ${f.check}: ${f.detail}\n`);
                const failed = findings.filter((f) => !f.ok).length;
                process.stdout.write(failed === 0 ? `self-test passed (${findings.length} checks)\n` : `self-test FAILED: ${failed} of ${findings.length} checks\n`);
                process.exitCode = failed === 0 ? 0 : 2;
            } finally {
                await pool.close();
            }
        });
}
