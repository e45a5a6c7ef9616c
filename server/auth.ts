/**
 * Bearer tokens of the tenant API layer: self-contained, HMAC-signed with a key kept in the server's data directory,
 * so tokens survive a restart (like a real tenant's) and no token table has to be persisted. Format:
 * `emu1.<payload b64url>.<sig>` (the prefix is historical; the emulator and the gateway share it).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Errors } from "./errors";

/** What a token proves. */
export interface TokenClaims {
    /** Tenant id as provisioned. */
    tid: string;
    /** Client id of the app that asked. */
    appid: string;
    /** Expiry, seconds since the epoch. */
    exp: number;
}

const PREFIX = "emu1";

/** Issues and verifies bearer tokens. */
export class TokenAuthority {
    private constructor(private readonly key: Buffer) {}

    /**
     * Loads the signing key from `<dataDir>/<keyFile>` (default `emulator-key`), creating it (mode 0600) on first
     * start.
     */
    static async open(dataDir: string, keyFile = "emulator-key"): Promise<TokenAuthority> {
        const file = path.join(dataDir, keyFile);
        try {
            return new TokenAuthority(Buffer.from((await fs.readFile(file, "utf8")).trim(), "hex"));
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
            const key = randomBytes(32);
            await fs.mkdir(dataDir, { recursive: true });
            const tmp = `${file}.${process.pid}.tmp`;
            await fs.writeFile(tmp, key.toString("hex"), { mode: 0o600 });
            await fs.rename(tmp, file);
            return new TokenAuthority(key);
        }
    }

    private sign(payload: string): string {
        return createHmac("sha256", this.key).update(payload).digest("base64url");
    }

    /** A token for `tid` valid for `ttlSeconds`. */
    issue(tid: string, appid: string, ttlSeconds: number): string {
        // Rounded up so a token never lives shorter than ttlSeconds.
        const claims: TokenClaims = { tid, appid, exp: Math.ceil(Date.now() / 1000) + ttlSeconds };
        const payload = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
        return `${payload}.${this.sign(payload)}`;
    }

    /**
     * Tokens whose signature was already checked, with their claims: a client sends one token for up to its lifetime,
     * so the HMAC runs once per token rather than per request. Bounded; cleared when full. Expiry is still checked on
     * every request.
     */
    private readonly verified = new Map<string, TokenClaims>();
    private static readonly VERIFIED_MAX = 1024;

    /** Verifies an `Authorization` header; 401 when missing, malformed, forged or expired. */
    verify(header: string | undefined): TokenClaims {
        const known = header === undefined ? undefined : this.verified.get(header);
        if (known) {
            if (known.exp * 1000 <= Date.now()) throw Errors.unauthorized("The bearer token has expired.");
            return known;
        }
        const claims = this.verifySignature(header);
        if (this.verified.size >= TokenAuthority.VERIFIED_MAX) this.verified.clear();
        this.verified.set(header!, claims);
        return claims;
    }

    private verifySignature(header: string | undefined): TokenClaims {
        const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
        if (!m) throw Errors.unauthorized("An Authorization: Bearer <token> header is required.");
        const parts = m[1].split(".");
        if (parts.length !== 3 || parts[0] !== PREFIX) throw Errors.unauthorized("The bearer token is malformed.");
        const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
        const given = Buffer.from(parts[2]);
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw Errors.unauthorized("The bearer token signature is invalid.");
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as TokenClaims;
        if (claims.exp * 1000 <= Date.now()) throw Errors.unauthorized("The bearer token has expired.");
        return claims;
    }
}
