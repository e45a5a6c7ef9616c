/**
 * Where `clientpolicy export` and `clientpolicy cmdlets` get the tenant connection: a Pulumi stack's provider
 * configuration (read through the Automation API's local workspace, secret included, exactly the keys the provider
 * reads: `clientpolicy:endpoint`, `tenantId`, `clientId`, `clientSecret`, `maxAttempts`, with the provider's
 * environment fallbacks), or flags with the secret from `CLIENTPOLICY_CLIENT_SECRET` (never a flag: command lines are
 * visible to every user of the machine). Validation is the provider's own (`resolveConfig` in provider/config.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigSource, ProviderConfig, resolveConfig, CONFIG_NAMESPACE, CONFIG_KEYS } from "../../provider/config";
import { ConfigError } from "../../provider/errors";
import { TenantClient } from "../../provider/client/tenantClient";
import { CliError } from "../errors";

/** The connection flags shared by the subcommands. */
export interface ConnectionFlags {
    stack?: string;
    dir?: string;
    endpoint?: string;
    tenant?: string;
    clientId?: string;
}

/** A resolved connection and a description of where it came from (for comments and progress; never the secret). */
export interface Connection {
    readonly config: ProviderConfig;
    /** `stack dev in /path` or `flags`. */
    readonly source: string;
}

/** Flag spelling of each provider key, for messages in flag mode. */
const FLAG_OF: Record<string, string> = {
    endpoint: "--endpoint", tenantId: "--tenant", clientId: "--client-id", clientSecret: "CLIENTPOLICY_CLIENT_SECRET",
};

/** The stack's workspace folder: `--dir`, else the current directory; it must hold a Pulumi.yaml. */
export function stackDir(flags: ConnectionFlags): string {
    const dir = path.resolve(flags.dir ?? ".");
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--dir: ${dir} is not a directory`);
    if (!["Pulumi.yaml", "Pulumi.yml"].some((f) => fs.existsSync(path.join(dir, f)))) {
        throw new CliError(`--dir: no Pulumi.yaml in ${dir}; give the folder of the Pulumi project that holds stack "${flags.stack}"`);
    }
    return dir;
}

/** The first meaningful line of a Pulumi CLI failure, without the Automation API's command dump. */
export function pulumiFailure(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    const stderr = /stderr:\s*([\s\S]*?)(?:\n\s*err\?:|$)/.exec(text)?.[1] ?? text;
    const line = stderr.split("\n").map((l) => l.trim()).find((l) => /^error:/i.test(l)) ??
        stderr.split("\n").map((l) => l.trim()).find((l) => l !== "" && !/^(code|stdout|stderr):/.test(l)) ?? "unknown failure";
    return line.replace(/^error:\s*/i, "");
}

/** Reads the stack's configuration (secrets decrypted) as the provider would see it. */
async function stackSource(flags: ConnectionFlags): Promise<{ source: ConfigSource; where: string }> {
    const dir = stackDir(flags);
    // Loaded lazily: the Automation API pulls in the whole SDK, which flag mode never needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
    let values: Record<string, { value: string; secret?: boolean }>;
    try {
        const ws = await LocalWorkspace.create({ workDir: dir });
        values = await ws.getAllConfig(flags.stack!);
    } catch (err) {
        throw new CliError(`--stack ${flags.stack}: cannot read its configuration in ${dir}: ${pulumiFailure(err)}`);
    }
    return { source: { get: (key) => values[key]?.value }, where: `stack ${flags.stack} in ${dir}` };
}

/**
 * Resolves the connection from `--stack` or from the flags (with the provider's environment fallbacks). Every
 * problem is a {@link CliError} naming the flag or config key and what was expected; nothing is contacted yet.
 */
export async function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
    const direct = flags.endpoint !== undefined || flags.tenant !== undefined || flags.clientId !== undefined;
    if (flags.stack !== undefined && direct) {
        throw new CliError("give either --stack (the stack's clientpolicy:* configuration) or --endpoint/--tenant/--client-id, not both");
    }
    if (flags.stack === undefined && flags.dir !== undefined) throw new CliError("--dir is the folder of --stack; give --stack too");
    if (flags.stack !== undefined) {
        if (flags.stack.trim() === "") throw new CliError("--stack must name a stack, e.g. --stack dev");
        const { source, where } = await stackSource(flags);
        try {
            return { config: resolveConfig(source, env), source: where };
        } catch (err) {
            if (err instanceof ConfigError) throw new CliError(`--stack ${flags.stack}: ${err.message}`);
            throw err;
        }
    }
    const byKey: Record<string, string | undefined> = { endpoint: flags.endpoint, tenantId: flags.tenant, clientId: flags.clientId };
    const missing = CONFIG_KEYS.filter((k) => (byKey[k.key] ?? env[k.env] ?? "").trim() === "");
    if (missing.length > 0) {
        throw new CliError(`missing ${missing.map((k) => `${FLAG_OF[k.key]}${k.secret ? "" : ` (or ${k.env})`}`).join(", ")}; ` +
            `give --stack <name>, or --endpoint, --tenant and --client-id with the secret in CLIENTPOLICY_CLIENT_SECRET`);
    }
    const source: ConfigSource = { get: (key) => byKey[key.slice(CONFIG_NAMESPACE.length + 1)] };
    try {
        return { config: resolveConfig(source, env), source: "flags" };
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // The provider names its config keys; here the user typed flags.
        let message = err.message;
        for (const [key, flag] of Object.entries(FLAG_OF)) message = message.split(`${CONFIG_NAMESPACE}:${key}`).join(flag);
        throw new CliError(message);
    }
}

/** A tenant API client for a resolved connection. */
export function clientFor(connection: Connection): TenantClient {
    const { config } = connection;
    // Transport errors name where the endpoint came from: the --endpoint flag (or its environment variable) here.
    const endpointSetting = connection.source === "flags" ? `${FLAG_OF.endpoint} (or ${CONFIG_KEYS.find((k) => k.key === "endpoint")?.env ?? "its environment variable"})` : undefined;
    return TenantClient.fromConfig(config, { endpointSetting });
}
