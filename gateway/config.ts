/**
 * The gateway's configuration file (YAML, parsed with the `yaml` package) and client-secret hashing. Every problem is
 * reported before anything starts, naming the file, the field path and what was expected; secrets never appear in a
 * message (client secrets are stored only as scrypt hashes: `scrypt$N$r$p$<salt b64url>$<hash b64url>`).
 *
 * ```yaml
 * tenant: contoso.com                # the tenant id clients configure (a GUID or domain); or `tenants:` below
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
 * One gateway may front several deployments: `tenants: [{id, shell}, …]` instead of `tenant` and `shell` (each tenant
 * gets its own shell pool; clients may list the `tenants` they may use, default all).
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
    /** Tenant ids this client may get tokens for (lower-cased); undefined: every tenant of the gateway. */
    tenants?: string[];
}

/** How to start the shells of one tenant. */
export interface ShellConfig {
    command: string;
    args: string[];
    env?: Record<string, string>;
    cwd?: string;
    poolSize: number;
    commandTimeoutSeconds: number;
}

/** The validated configuration. */
export interface GatewayConfig {
    /** The tenants served, each with its shell pool (at least one). */
    tenants: Array<{ id: string; shell: ShellConfig }>;
    listen: { host: string; port: number };
    tls?: { cert: string; key: string };
    dataDir: string;
    audit?: string;
    tokenTtlSeconds: number;
    rate: number;
    clients: ClientEntry[];
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
    const known = ["tenant", "tenants", "listen", "tls", "dataDir", "audit", "tokenTtlSeconds", "rate", "clients", "shell"];
    for (const k of Object.keys(o)) if (!known.includes(k)) bad(k, `one of the known keys (${known.join(", ")}); "${k}" is not one`);
    const str = (v: unknown, field: string): string => (typeof v === "string" && v.trim() !== "" ? v : bad(field, "a non-empty string"));
    const int = (v: unknown, field: string, min: number, max: number, dflt: number): number =>
        v === undefined ? dflt : Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : bad(field, `an integer ${min}–${max}`);
    const file_ = (v: unknown, field: string) => path.resolve(base, str(v, field));

    const shellOf = (sIn: unknown, where: string): ShellConfig => {
        const s = (sIn ?? {}) as Record<string, unknown>;
        if (typeof s !== "object" || Array.isArray(s)) bad(where, "a mapping {command, args, poolSize, commandTimeoutSeconds}");
        const args = s.args === undefined ? [] : Array.isArray(s.args) && s.args.every((a) => typeof a === "string") ? (s.args as string[]) : bad(`${where}.args`, "a list of strings");
        let env: Record<string, string> | undefined;
        if (s.env !== undefined) {
            if (s.env === null || typeof s.env !== "object" || !Object.values(s.env).every((v) => typeof v === "string")) bad(`${where}.env`, "a mapping of strings");
            env = s.env as Record<string, string>;
        }
        return {
            command: str(s.command, `${where}.command`), args, env, cwd: s.cwd === undefined ? undefined : file_(s.cwd, `${where}.cwd`),
            poolSize: int(s.poolSize, `${where}.poolSize`, 1, 16, 2),
            commandTimeoutSeconds: int(s.commandTimeoutSeconds, `${where}.commandTimeoutSeconds`, 1, 3600, 60),
        };
    };
    let tenants: GatewayConfig["tenants"];
    if (o.tenants !== undefined) {
        if (o.tenant !== undefined || o.shell !== undefined) bad("tenants", "used without the top-level tenant and shell (give each tenant its shell)");
        if (!Array.isArray(o.tenants) || o.tenants.length === 0) bad("tenants", "a list of at least one {id, shell}");
        tenants = (o.tenants as unknown[]).map((t, i) => {
            const e = (t ?? {}) as Record<string, unknown>;
            const id = str(e.id, `tenants[${i}].id`);
            if (!isTenantId(id)) bad(`tenants[${i}].id`, "a GUID or domain name (the tenant id clients configure)");
            return { id, shell: shellOf(e.shell, `tenants[${i}].shell`) };
        });
        const ids = tenants.map((t) => t.id.toLowerCase());
        const dup = ids.find((id, i) => ids.indexOf(id) !== i);
        if (dup) bad("tenants", `a list of distinct ids ("${dup}" is listed twice)`);
    } else {
        const tenant = str(o.tenant, "tenant");
        if (!isTenantId(tenant)) bad("tenant", "a GUID or domain name (the tenant id clients configure)");
        tenants = [{ id: tenant, shell: shellOf(o.shell, "shell") }];
    }
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
        let allowed: string[] | undefined;
        if (e.tenants !== undefined) {
            if (!Array.isArray(e.tenants) || !e.tenants.every((x) => typeof x === "string" && tenants.some((t) => t.id.toLowerCase() === x.toLowerCase()))) {
                bad(`clients[${i}].tenants`, `a list of tenant ids this gateway serves (${tenants.map((t) => t.id).join(", ")})`);
            }
            allowed = (e.tenants as string[]).map((x) => x.toLowerCase());
        }
        return { clientId, secretHash, tenants: allowed };
    });
    return {
        tenants, listen, tls,
        dataDir: o.dataDir === undefined ? path.join(base, "gateway-data") : file_(o.dataDir, "dataDir"),
        audit: o.audit === undefined ? undefined : file_(o.audit, "audit"),
        tokenTtlSeconds: int(o.tokenTtlSeconds, "tokenTtlSeconds", 60, 86400, 3600),
        rate: int(o.rate, "rate", 0, 100000, 50),
        clients,
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
