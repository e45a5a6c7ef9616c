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
    /**
     * Which credential of the client the token was issued against (the gateway: a digest of the client's stored secret
     * hash), so a changed secret ends the tokens issued under the old one. Absent on the emulator's tokens.
     */
    cred?: string;
}

const PREFIX = "emu1";

/** Signing key size: 32 bytes, the HMAC-SHA256 block's natural key size (RFC 2104 §3 recommends at least the output length). */
export const KEY_BYTES = 32;
/** The key file holds the key as this many hexadecimal characters. */
export const KEY_HEX_LENGTH = KEY_BYTES * 2;

/** The signing key file is unusable; the message names the file and what it should hold (never its content). */
export class SigningKeyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SigningKeyError";
    }
}

/**
 * The key in a key file's bytes: exactly {@link KEY_HEX_LENGTH} ASCII hex digits, then at most one LF or CRLF (an
 * editor's final newline). Everything else is refused with the reason, so an operator can fix the file.
 */
export function parseKeyFile(bytes: Buffer, file: string): Buffer {
    const expected = `${KEY_HEX_LENGTH} hexadecimal characters (a ${KEY_BYTES}-byte key) in ASCII, optionally followed by one line break`;
    const refuse = (found: string): never => {
        throw new SigningKeyError(`the token signing key ${file} must hold ${expected}; ${found}. ` +
            "Write it as ASCII (PowerShell: Set-Content -Encoding ascii -NoNewline), or delete the file to have a new key generated at the next start (tokens issued so far stop working).");
    };
    if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
        refuse("it starts with a UTF-16 byte-order mark (Windows PowerShell 5.1 `>` and Out-File write UTF-16)");
    }
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) refuse("it starts with a UTF-8 byte-order mark");
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0a) end -= end > 1 && bytes[end - 2] === 0x0d ? 2 : 1;
    const body = bytes.subarray(0, end);
    if (body.includes(0)) refuse("it contains NUL bytes (UTF-16 text without a byte-order mark?)");
    if (body.length === 0) refuse("it is empty");
    if (!/^[0-9a-fA-F]*$/.test(body.toString("latin1"))) refuse(`it holds ${body.length} bytes that are not all hexadecimal digits (a passphrase is not a key)`);
    if (body.length !== KEY_HEX_LENGTH) refuse(`it holds ${body.length} hexadecimal characters`);
    return Buffer.from(body.toString("latin1"), "hex");
}

/** Issues and verifies bearer tokens. */
export class TokenAuthority {
    private constructor(private readonly key: Buffer) {}

    /**
     * Loads the signing key from `<dataDir>/<keyFile>` (default `emulator-key`), creating it (mode 0600) on first
     * start. A file that holds anything but {@link KEY_HEX_LENGTH} hexadecimal ASCII characters (optionally followed by
     * one line break) stops start-up with a {@link SigningKeyError} naming the file: an HMAC key decoded leniently from a
     * passphrase, a UTF-16 file (what Windows PowerShell 5.1 `>` and `Out-File` write) or a BOM would be shorter than
     * intended or empty, and with an empty key anyone can mint tokens.
     */
    static async open(dataDir: string, keyFile = "emulator-key"): Promise<TokenAuthority> {
        const file = path.join(dataDir, keyFile);
        let bytes: Buffer;
        try {
            bytes = await fs.readFile(file);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
                throw new SigningKeyError(`cannot read the token signing key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
            }
            const key = randomBytes(KEY_BYTES);
            await fs.mkdir(dataDir, { recursive: true });
            const tmp = `${file}.${process.pid}.tmp`;
            await fs.writeFile(tmp, key.toString("hex"), { mode: 0o600 });
            await fs.rename(tmp, file);
            return new TokenAuthority(key);
        }
        return new TokenAuthority(parseKeyFile(bytes, file));
    }

    private sign(payload: string): string {
        return createHmac("sha256", this.key).update(payload).digest("base64url");
    }

    /** A token for `tid` valid for `ttlSeconds`, optionally bound to a client credential (see {@link TokenClaims.cred}). */
    issue(tid: string, appid: string, ttlSeconds: number, cred?: string): string {
        // Rounded up so a token never lives shorter than ttlSeconds.
        const claims: TokenClaims = { tid, appid, exp: Math.ceil(Date.now() / 1000) + ttlSeconds, ...(cred === undefined ? {} : { cred }) };
        const payload = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
        return `${payload}.${this.sign(payload)}`;
    }

    /**
     * Tokens whose signature was already checked, with their claims: a client sends one token for up to its lifetime,
     * so the HMAC runs once per token rather than per request. Bounded; cleared when full. Expiry is still checked on
     * every request, and so is the client (the API layer asks its directory on every request, cached or not: see
     * `BackendDirectory.admit`).
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
