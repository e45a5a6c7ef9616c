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
 * tokenTtlSeconds: 3600             # at most 3600 (MAX_TOKEN_TTL_SECONDS)
 * rate: 50                           # API requests per second per tenant (0: no throttling)
 * limits:                            # unauthenticated traffic, per minute (0: no limit); defaults shown
 *   tokenRequestsPerAddress: 60
 *   tokenFailuresPerClient: 10
 *   unauthenticatedPerAddress: 60
 *   scryptConcurrency: 1             # secret checks at once (default: half the CPUs, at least 1)
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
import { createPrivateKey, randomBytes, scrypt, scryptSync, timingSafeEqual, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { isTenantId } from "../api/contract";
import type { AuthLimits } from "../server/throttle";

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
    /** Limits on unauthenticated traffic and on secret checks. */
    limits: AuthLimits & { scryptConcurrency: number };
    clients: ClientEntry[];
}

/**
 * The longest token lifetime the gateway issues: one hour, the default lifetime of Microsoft Entra ID access tokens.
 * A token is re-checked against `clients[]` on every request, so removing a client ends its tokens at once; the cap
 * bounds what a token copied from a pipeline's log or memory is worth to whoever copied it, since a token, unlike a
 * client, cannot be revoked one by one. Clients fetch a new token when theirs expires (the provider does on 401).
 */
export const MAX_TOKEN_TTL_SECONDS = 3600;

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

const HASH_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/**
 * Bounds on the scrypt parameters of a stored hash. scrypt needs N to be a power of two greater than 1 (RFC 7914
 * §2); below 2^14 (the interactive-login cost of RFC 7914 §2 and of `hash-secret`) a stolen configuration's hashes
 * are cheap to attack, and above the memory and work bounds one token request would take the gateway's memory or CPU:
 * scrypt uses 128·N·r bytes (bounded to that of N = 2^16, r = 8) and time in proportion to N·r·p.
 */
export const SCRYPT_BOUNDS = { minN: 2 ** 14, maxN: 2 ** 20, maxR: 32, maxP: 16, minSaltBytes: 16, minHashBytes: 16, maxHashBytes: 64 };
const MAX_SCRYPT_MEMORY = 128 * 2 ** 16 * 8;
/** Bound on N·r·p, scrypt's CPU cost: 16 times that of `hash-secret`'s parameters. */
const MAX_SCRYPT_WORK = 16 * 2 ** 14 * 8;

/** A stored hash taken apart. */
interface ParsedHash {
    N: number;
    r: number;
    p: number;
    salt: Buffer;
    hash: Buffer;
}

/** Parses a stored hash; a string saying what is wrong with it otherwise (never echoing the hash). */
function parseHash(stored: string): ParsedHash | string {
    const m = HASH_RE.exec(stored);
    if (!m) return "an scrypt hash as printed by `clientpolicy gateway hash-secret` (scrypt$N$r$p$salt$hash)";
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const b = SCRYPT_BOUNDS;
    if (!(N >= b.minN && N <= b.maxN && (N & (N - 1)) === 0)) return `an scrypt hash whose N (cost) is a power of two ${b.minN}–${b.maxN}, got ${m[1]}`;
    if (!(r >= 1 && r <= b.maxR)) return `an scrypt hash whose r (block size) is 1–${b.maxR}, got ${m[2]}`;
    if (!(p >= 1 && p <= b.maxP)) return `an scrypt hash whose p (parallelism) is 1–${b.maxP}, got ${m[3]}`;
    if (128 * N * r > MAX_SCRYPT_MEMORY) return `an scrypt hash needing at most ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB (128·N·r bytes), got ${(128 * N * r) / 2 ** 20} MiB for N=${N}, r=${r}`;
    if (N * r * p > MAX_SCRYPT_WORK) return `an scrypt hash whose N·r·p is at most ${MAX_SCRYPT_WORK} (each token request pays it), got ${N * r * p}`;
    const salt = Buffer.from(m[4], "base64url");
    const hash = Buffer.from(m[5], "base64url");
    if (salt.length < b.minSaltBytes) return `an scrypt hash with a salt of at least ${b.minSaltBytes} bytes, got ${salt.length}`;
    if (hash.length < b.minHashBytes || hash.length > b.maxHashBytes) return `an scrypt hash of ${b.minHashBytes}–${b.maxHashBytes} bytes, got ${hash.length}`;
    return { N, r, p, salt, hash };
}

/**
 * Whether `secret` matches a stored hash (constant-time comparison). scrypt runs on libuv's thread pool, so the event
 * loop keeps serving requests meanwhile; callers bound how many run at once (gateway/server.ts).
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
    const h = parseHash(stored);
    if (typeof h === "string") return false;
    const got = await new Promise<Buffer>((resolve, reject) =>
        scrypt(secret, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: 2 * 128 * h.N * h.r + 2 ** 20 }, (e, key) => (e ? reject(e) : resolve(key))));
    return timingSafeEqual(h.hash, got);
}

/**
 * Checks the TLS files: each readable, the certificate PEM (the first of a chain is the server's), the key an
 * unencrypted PEM private key that belongs to the certificate, and the certificate within its validity period.
 */
function checkTls(cert: string, key: string, bad: (field: string, expected: string) => never): void {
    const read = (file: string, field: string): Buffer => {
        try {
            return readFileSync(file);
        } catch (e) {
            return bad(field, `a readable file (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        }
    };
    const certBytes = read(cert, "tls.cert");
    const keyBytes = read(key, "tls.key");
    let x509: X509Certificate;
    try {
        if (!certBytes.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no BEGIN CERTIFICATE line");
        x509 = new X509Certificate(certBytes);
    } catch (e) {
        return bad("tls.cert", `a PEM certificate file (-----BEGIN CERTIFICATE-----; export a .pfx with openssl pkcs12 -nokeys) (${cert}: ${(e as Error).message})`);
    }
    let privateKey: KeyObject;
    try {
        if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(keyBytes.toString("latin1"))) throw new Error("no BEGIN PRIVATE KEY line");
        privateKey = createPrivateKey({ key: keyBytes, format: "pem" });
    } catch (e) {
        // The message of a failed parse says nothing about the key's content.
        return bad("tls.key", `an unencrypted PEM private key file (-----BEGIN PRIVATE KEY-----) (${key}: ${(e as Error).message})`);
    }
    if (!x509.checkPrivateKey(privateKey)) bad("tls.key", `the private key of tls.cert (${key} does not match the certificate ${cert}, subject ${x509.subject.replace(/\n/g, ", ")})`);
    const now = Date.now();
    if (Date.parse(x509.validTo) < now) bad("tls.cert", `a certificate that has not expired (${cert} expired ${x509.validTo})`);
    if (Date.parse(x509.validFrom) > now) bad("tls.cert", `a certificate already valid (${cert} is valid from ${x509.validFrom})`);
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Validates a parsed configuration object; `file` names the source in messages. */
export function checkConfig(input: unknown, file: string): GatewayConfig {
    const base = path.dirname(path.resolve(file));
    const bad = (field: string, expected: string): never => { throw new ConfigFileError(`${file}: ${field} must be ${expected}`); };
    if (input === null || typeof input !== "object" || Array.isArray(input)) bad("the document", "a YAML mapping");
    const o = input as Record<string, unknown>;
    const known = ["tenant", "tenants", "listen", "tls", "dataDir", "audit", "tokenTtlSeconds", "rate", "limits", "clients", "shell"];
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
        checkTls(tls.cert, tls.key, bad);
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
        const parsed = parseHash(secretHash);
        if (typeof parsed === "string") bad(`clients[${i}].secretHash`, parsed);
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
        tokenTtlSeconds: int(o.tokenTtlSeconds, "tokenTtlSeconds", 60, MAX_TOKEN_TTL_SECONDS, 3600),
        rate: int(o.rate, "rate", 0, 100000, 50),
        limits: limitsOf(o.limits, int, bad),
        clients,
    };
}

/** Defaults of `limits` (per minute). */
export const DEFAULT_LIMITS: AuthLimits = { tokenRequestsPerAddress: 60, tokenFailuresPerClient: 10, unauthenticatedPerAddress: 60 };

function limitsOf(
    v: unknown,
    int: (v: unknown, field: string, min: number, max: number, dflt: number) => number,
    bad: (field: string, expected: string) => never,
): GatewayConfig["limits"] {
    const l = (v ?? {}) as Record<string, unknown>;
    if (typeof l !== "object" || Array.isArray(l)) bad("limits", "a mapping {tokenRequestsPerAddress, tokenFailuresPerClient, unauthenticatedPerAddress, scryptConcurrency}");
    const keys = [...Object.keys(DEFAULT_LIMITS), "scryptConcurrency"];
    for (const k of Object.keys(l)) if (!keys.includes(k)) bad(`limits.${k}`, `one of ${keys.join(", ")}`);
    const d = DEFAULT_LIMITS;
    return {
        tokenRequestsPerAddress: int(l.tokenRequestsPerAddress, "limits.tokenRequestsPerAddress", 0, 1_000_000, d.tokenRequestsPerAddress),
        tokenFailuresPerClient: int(l.tokenFailuresPerClient, "limits.tokenFailuresPerClient", 0, 1_000_000, d.tokenFailuresPerClient),
        unauthenticatedPerAddress: int(l.unauthenticatedPerAddress, "limits.unauthenticatedPerAddress", 0, 1_000_000, d.unauthenticatedPerAddress),
        scryptConcurrency: int(l.scryptConcurrency, "limits.scryptConcurrency", 1, 64, Math.max(1, Math.floor(availableParallelism() / 2))),
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
