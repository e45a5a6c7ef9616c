/**
 * The gateway's configuration file (YAML, parsed with the `yaml` package) and client-secret hashing. Every problem is
 * reported before anything starts, naming the file, the field path and what was expected; secrets never appear in a
 * message (client secrets are stored only as scrypt hashes: `scrypt$N$r$p$<salt b64url>$<hash b64url>`).
 *
 * ```yaml
 * tenant: contoso.com                # the tenant id clients configure (a GUID or domain)
 * listen: { host: 0.0.0.0, port: 8443 }
 * tls: { cert: C:\gw\tls.crt, key: C:\gw\tls.key }   # required unless host is loopback
 * dataDir: C:\gw\data                # side store (SQLite) and the token signing key
 * audit: C:\gw\audit.jsonl           # JSON lines; omit for none
 * tokenTtlSeconds: 3600
 * rate: 50                           # requests per second (0: no throttling)
 * clients:
 *   - clientId: pulumi-pipeline
 *     secretHash: scrypt$16384$8$1$…  # from `clientpolicy gateway hash-secret`
 * shell:
 *   command: powershell.exe
 *   args: [-NoLogo, -NoProfile, -NonInteractive, -Command, "Import-Module SkypeForBusiness; Import-Module C:\gw\module\ClientPolicyGateway.psm1; Start-CpShellHost"]
 *   poolSize: 2
 *   commandTimeoutSeconds: 60
 * ```
 * Relative paths are relative to the configuration file's folder.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { isTenantId } from "../api/contract";

/** A registered API client. */
export interface ClientEntry {
    clientId: string;
    secretHash: string;
}

/** The validated configuration. */
export interface GatewayConfig {
    tenant: string;
    listen: { host: string; port: number };
    tls?: { cert: string; key: string };
    dataDir: string;
    audit?: string;
    tokenTtlSeconds: number;
    rate: number;
    clients: ClientEntry[];
    shell: { command: string; args: string[]; env?: Record<string, string>; cwd?: string; poolSize: number; commandTimeoutSeconds: number };
}

/** A configuration problem: names the file and field path. */
export class ConfigFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigFileError";
    }
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** The stored form of a client secret (random salt; scrypt from node:crypto). */
export function hashSecret(secret: string): string {
    if (secret.length < 16) throw new ConfigFileError("a client secret must be at least 16 characters");
    const salt = randomBytes(16);
    const hash = scryptSync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
    return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

const HASH_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

/** Whether `secret` matches a stored hash (constant-time comparison). */
export function verifySecret(secret: string, stored: string): boolean {
    const m = HASH_RE.exec(stored);
    if (!m) return false;
    const expected = Buffer.from(m[5], "base64url");
    const got = scryptSync(secret, Buffer.from(m[4], "base64url"), expected.length, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]), maxmem: 256 * Number(m[1]) * Number(m[2]) });
    return timingSafeEqual(expected, got);
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Validates a parsed configuration object; `file` names the source in messages. */
export function checkConfig(input: unknown, file: string): GatewayConfig {
    const base = path.dirname(path.resolve(file));
    const bad = (field: string, expected: string): never => { throw new ConfigFileError(`${file}: ${field} must be ${expected}`); };
    if (input === null || typeof input !== "object" || Array.isArray(input)) bad("the document", "a YAML mapping");
    const o = input as Record<string, unknown>;
    const known = ["tenant", "listen", "tls", "dataDir", "audit", "tokenTtlSeconds", "rate", "clients", "shell"];
    for (const k of Object.keys(o)) if (!known.includes(k)) bad(k, `one of the known keys (${known.join(", ")}); "${k}" is not one`);
    const str = (v: unknown, field: string): string => (typeof v === "string" && v.trim() !== "" ? v : bad(field, "a non-empty string"));
    const int = (v: unknown, field: string, min: number, max: number, dflt: number): number =>
        v === undefined ? dflt : Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : bad(field, `an integer ${min}–${max}`);
    const file_ = (v: unknown, field: string) => path.resolve(base, str(v, field));

    const tenant = str(o.tenant, "tenant");
    if (!isTenantId(tenant)) bad("tenant", "a GUID or domain name (the tenant id clients configure)");
    const listenIn = (o.listen ?? {}) as Record<string, unknown>;
    if (typeof listenIn !== "object" || Array.isArray(listenIn)) bad("listen", "a mapping {host, port}");
    const listen = { host: listenIn.host === undefined ? "127.0.0.1" : str(listenIn.host, "listen.host"), port: int(listenIn.port, "listen.port", 0, 65535, 8443) };
    let tls: GatewayConfig["tls"];
    if (o.tls !== undefined) {
        const t = o.tls as Record<string, unknown>;
        if (t === null || typeof t !== "object") bad("tls", "a mapping {cert, key}");
        tls = { cert: file_(t.cert, "tls.cert"), key: file_(t.key, "tls.key") };
    } else if (!LOOPBACK.has(listen.host)) {
        bad("tls", `set (cert and key files) when listen.host is not loopback (got ${listen.host}): client secrets and tokens must not cross the network in clear`);
    }
    const clientsIn = o.clients;
    if (!Array.isArray(clientsIn) || clientsIn.length === 0) bad("clients", "a list of at least one {clientId, secretHash}");
    const seen = new Set<string>();
    const clients = (clientsIn as unknown[]).map((c, i) => {
        const e = (c ?? {}) as Record<string, unknown>;
        const clientId = str(e.clientId, `clients[${i}].clientId`);
        if (seen.has(clientId)) bad(`clients[${i}].clientId`, `unique ("${clientId}" is listed twice)`);
        seen.add(clientId);
        if ("secret" in e || "clientSecret" in e) bad(`clients[${i}]`, "a secretHash (from `clientpolicy gateway hash-secret`), never the secret itself");
        const secretHash = str(e.secretHash, `clients[${i}].secretHash`);
        if (!HASH_RE.test(secretHash)) bad(`clients[${i}].secretHash`, "an scrypt hash as printed by `clientpolicy gateway hash-secret`");
        return { clientId, secretHash };
    });
    const s = (o.shell ?? {}) as Record<string, unknown>;
    if (typeof s !== "object" || Array.isArray(s)) bad("shell", "a mapping {command, args, poolSize, commandTimeoutSeconds}");
    const args = s.args === undefined ? [] : Array.isArray(s.args) && s.args.every((a) => typeof a === "string") ? (s.args as string[]) : bad("shell.args", "a list of strings");
    let env: Record<string, string> | undefined;
    if (s.env !== undefined) {
        if (s.env === null || typeof s.env !== "object" || !Object.values(s.env).every((v) => typeof v === "string")) bad("shell.env", "a mapping of strings");
        env = s.env as Record<string, string>;
    }
    return {
        tenant, listen, tls,
        dataDir: o.dataDir === undefined ? path.join(base, "gateway-data") : file_(o.dataDir, "dataDir"),
        audit: o.audit === undefined ? undefined : file_(o.audit, "audit"),
        tokenTtlSeconds: int(o.tokenTtlSeconds, "tokenTtlSeconds", 60, 86400, 3600),
        rate: int(o.rate, "rate", 0, 100000, 50),
        clients,
        shell: {
            command: str(s.command, "shell.command"), args, env, cwd: s.cwd === undefined ? undefined : file_(s.cwd, "shell.cwd"),
            poolSize: int(s.poolSize, "shell.poolSize", 1, 16, 2),
            commandTimeoutSeconds: int(s.commandTimeoutSeconds, "shell.commandTimeoutSeconds", 1, 3600, 60),
        },
    };
}

/** Reads and validates a configuration file. */
export function loadConfig(file: string): GatewayConfig {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        throw new ConfigFileError(`cannot read the gateway configuration ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let doc: unknown;
    try {
        doc = parse(text);
    } catch (e) {
        throw new ConfigFileError(`${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    return checkConfig(doc, file);
}
