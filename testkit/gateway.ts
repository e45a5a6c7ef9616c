/**
 * Test helper: a gateway in front of the stand-in Management Shell, whose server state is a tenant emulator (the
 * "Central Management Store"). The result is a {@link TestTenant} like the emulator's, so the provider suites run
 * unchanged against it: `url`, `token()` and the credentials are the gateway's; `powershell()` runs cmdlet lines
 * through the gateway's own shell pool (drift made in the shell, as an administrator would: each line read with the
 * cmdlet grammar of api/cmdlets.ts and sent as a command with its values typed by the cmdlet table); `stats()` are the
 * gateway's confirmed writes; `setFaults()` injects faults in front of the gateway's API.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NO_FAULTS, type FaultConfig } from "../emulator";
import { checkFaults, faultPreflight } from "../emulator/faults";
import { checkConfig, hashSecret } from "../gateway/config";
import { startGateway, type GatewayHandle } from "../gateway/server";
import { REPO_ROOT, startTestEmulator, TEST_CLIENT_SECRET, type TestEmulatorOptions, type TestTenant } from "./emulator";
import { recordedFetch } from "./recorder";
import { Routes } from "../api/contract";
import { parseLine, type PsValue } from "../api/cmdlets";
import { CMDLETS_BY_NAME, type ParamType } from "../api/powershell/table";
import type { ShellArg, ShellCommand } from "../api/powershell/protocol";

/** A value as the argument of a parameter of `type` (what PowerShell's binder would make of the administrator's text). */
function typedArg(type: ParamType | undefined, v: PsValue): ShellArg {
    if (v === null) return { kind: "null" };
    switch (type) {
        case "switch": return { kind: "switch" };
        case "bool": return typeof v === "boolean" ? { kind: "bool", value: v } : { kind: "string", value: String(v) };
        case "uint": return typeof v === "number" ? { kind: "int", value: v } : { kind: "string", value: String(v) };
        case "timespan": return { kind: "timespan", value: String(v) };
        default: return typeof v === "boolean" ? { kind: "bool", value: v } : typeof v === "number" ? { kind: "int", value: v } : { kind: "string", value: String(v) };
    }
}

/**
 * An administrator's cmdlet lines as commands: parameter names matched case-insensitively to the table's spelling,
 * positional arguments to -Identity (then -PolicyName), output projected for the Get cmdlets. An unknown parameter is
 * sent as written, so the shell refuses it as it would refuse the administrator.
 */
export function adminCommands(script: string): ShellCommand[] {
    const out: ShellCommand[] = [];
    script.split(/\r?\n/).forEach((text, i) => {
        const cmd = parseLine(text, i + 1, { extraCmdlets: ["Get-CsUser"] });
        if (!cmd) return;
        const def = CMDLETS_BY_NAME.get(cmd.cmdlet);
        const params: Record<string, ShellArg> = {};
        const positional = ["Identity", "PolicyName"];
        for (const { value } of cmd.positional) {
            const name = positional.shift()!;
            params[name] = typedArg(def?.params.find((p) => p.name === name)?.type, value);
        }
        for (const { name, value } of cmd.named.values()) {
            const p = def?.params.find((x) => x.name.toLowerCase() === name.toLowerCase());
            params[p?.name ?? name] = typedArg(p?.type, value);
        }
        out.push({ cmdlet: cmd.cmdlet, params, output: cmd.cmdlet === "Get-CsClientPolicy" ? "policy" : cmd.cmdlet === "Get-CsUser" ? "user" : "none" });
    });
    return out;
}

/** The stand-in shell's command line (ts-node, so tests need no build). */
export function standInCommand(emulatorUrl: string, tenantId: string, faultsFile?: string) {
    return {
        command: process.execPath,
        args: ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "testkit", "standinShell.ts"),
            "--api", emulatorUrl, "--tenant", tenantId, "--client-id", "demo-client", ...(faultsFile ? ["--faults", faultsFile] : [])],
        env: { CPGW_STANDIN_SECRET: TEST_CLIENT_SECRET, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") },
        cwd: REPO_ROOT,
    };
}

/** A gateway test tenant: the emulator's TestTenant with the gateway in front, plus gateway-only handles. */
export interface GatewayTestTenant extends TestTenant {
    gateway: GatewayHandle;
    /** The emulator behind the stand-in shell (the server's state). */
    server: TestTenant;
    /**
     * Writes the stand-in shells' fault file: regular expressions matched against each command's display form
     * (`describeCommand`, e.g. `New-CsClientPolicy -Identity "Tag:X" -Description "d"`; see testkit/standinShell.ts).
     */
    shellFaults(f: { hang?: string; die?: string; dieAfter?: string; garbage?: string; once?: boolean }): void;
    gatewayDir: string;
    auditFile: string;
    /** The gateway's operational events (shell replaced and why, shell stderr), for assertion messages. */
    events: Array<{ event: string; detail: Record<string, unknown> }>;
}

/** Options: the emulator's, plus the gateway's pool size and command timeout. */
export interface TestGatewayOptions extends TestEmulatorOptions {
    poolSize?: number;
    commandTimeoutSeconds?: number;
    /** Reuse a gateway data directory (restart tests). */
    gatewayDir?: string;
    /**
     * The config's `limits`. Default: unlimited, because the defaults are per source address and every client of a
     * test, in every suite, calls from loopback; the suites that test the limits set them.
     */
    limits?: Record<string, number>;
    /** The config's `clients` (default: demo-client with the test secret). */
    clients?: Array<{ clientId: string; secretHash: string; tenants?: string[] }>;
}

/** Starts emulator + stand-in shells + gateway. Always call `stop()`. */
export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<GatewayTestTenant> {
    const server = await startTestEmulator(opts);
    const gatewayDir = opts.gatewayDir ?? mkdtempSync(path.join(os.tmpdir(), "cpac-gw-"));
    const faultsFile = path.join(gatewayDir, "shell-faults.json");
    writeFileSync(faultsFile, "{}");
    const auditFile = path.join(gatewayDir, "audit.jsonl");
    // Every tenant of the emulator is served (the provider suites switch to ambiguous.example); extra ones get one shell.
    const tenantIds = opts.seed === undefined ? [...new Set([server.tenantId, "contoso.example", "fabrikam.example", "ambiguous.example"])] : [server.tenantId];
    const config = checkConfig({
        tenants: tenantIds.map((id, i) => ({ id, shell: { command: "unused", poolSize: i === 0 ? opts.poolSize ?? 2 : 1, commandTimeoutSeconds: opts.commandTimeoutSeconds ?? 60 } })),
        listen: { host: "127.0.0.1", port: 0 }, dataDir: path.join(gatewayDir, "data"), audit: auditFile,
        tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600, rate: opts.rate ?? 0,
        limits: opts.limits ?? { tokenRequestsPerAddress: 0, tokenFailuresPerClient: 0, unauthenticatedPerAddress: 0 },
        clients: opts.clients ?? [{ clientId: "demo-client", secretHash: hashSecret(opts.clientSecret ?? TEST_CLIENT_SECRET) }],
    }, path.join(gatewayDir, "gateway.yaml"));
    for (const t of config.tenants) t.shell = { ...t.shell, ...standInCommand(server.url, t.id, faultsFile) };
    const faults: FaultConfig = { ...NO_FAULTS, ...opts.faults };
    let gateway: GatewayHandle;
    const events: GatewayTestTenant["events"] = [];
    try {
        gateway = await startGateway(config, {
            log: (event, detail) => { if (event !== "shell-stderr") events.push({ event, detail }); },
            preflight: faultPreflight(faults),
        });
    } catch (e) {
        await server.stop();
        throw e;
    }
    const url = gateway.url;
    const clientSecret = opts.clientSecret ?? TEST_CLIENT_SECRET;
    const tokenFor = async (tid: string) => {
        const res = await recordedFetch(url, "POST", Routes.token(tid), {
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({ grant_type: "client_credentials", client_id: "demo-client", client_secret: clientSecret, scope: "api://skype/.default" }).toString(),
        });
        if (!res.res.ok) throw new Error(`token for ${tid}: HTTP ${res.res.status} ${res.text}`);
        return JSON.parse(res.text).access_token as string;
    };
    return {
        ...server,
        url,
        server,
        gateway,
        gatewayDir,
        auditFile,
        events,
        token: () => tokenFor(server.tenantId),
        tokenFor,
        powershell: async (script: string, tid?: string) => {
            const results = await gateway.runShell(adminCommands(script), false, tid);
            return { succeeded: results.every((r) => r.ok), results };
        },
        stats: async (tid?: string) => gateway.stats(tid),
        setFaults: async (f) => {
            const checked = checkFaults(f);
            if ("error" in checked) throw new Error(`${checked.target} ${checked.error}`);
            Object.assign(faults, checked.ok);
        },
        shellFaults: (f) => writeFileSync(faultsFile, JSON.stringify(f)),
        stop: async () => {
            await gateway.close();
            await server.stop();
            if (opts.gatewayDir === undefined) rmSync(gatewayDir, { recursive: true, force: true });
        },
    };
}
