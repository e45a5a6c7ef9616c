/**
 * The gateway's start-up checks that need no server: the token signing key file's format, the scrypt parameters of
 * client secret hashes, the token lifetime cap and the `limits` section; and the building blocks of abuse resistance
 * (keyed token buckets with a bounded key set, the bounded-concurrency limiter).
 */
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { checkConfig, ConfigFileError, hashSecret, MAX_TOKEN_TTL_SECONDS, verifySecret } from "../../gateway/config";
import { KEY_HEX_LENGTH, parseKeyFile, SigningKeyError } from "../../server/auth";
import { Limiter, Throttle } from "../../server/throttle";

const FILE = "C:\\gw\\data\\gateway-token-key";
const HEX = randomBytes(32).toString("hex");

/** What Windows PowerShell 5.1 writes for `$key > file` / `Out-File`: UTF-16LE with a BOM and a CRLF. */
function utf16WithBom(text: string): Buffer {
    return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${text}\r\n`, "utf16le")]);
}

function refused(bytes: Buffer, why: RegExp): void {
    assert.throws(() => parseKeyFile(bytes, FILE), (e: Error) => {
        assert.ok(e instanceof SigningKeyError, `${e.name}: ${e.message}`);
        assert.ok(e.message.includes(FILE), `names the file: ${e.message}`);
        assert.match(e.message, new RegExp(`${KEY_HEX_LENGTH} hexadecimal characters`), "says what is expected");
        assert.match(e.message, why);
        assert.ok(!e.message.includes(HEX) && !e.message.includes("correct horse"), "never echoes the file's content");
        return true;
    });
}

describe("gateway: token signing key file", () => {
    it("takes exactly 64 hex digits, optionally with one final LF or CRLF (what the emulator and gateway have always written)", () => {
        for (const text of [HEX, `${HEX}\n`, `${HEX}\r\n`, HEX.toUpperCase()]) {
            assert.equal(parseKeyFile(Buffer.from(text, "latin1"), FILE).toString("hex"), HEX);
        }
    });

    it("refuses every other content naming the file: UTF-16 (PowerShell 5.1 `>`), BOMs, a passphrase, wrong length, non-hex, empty", () => {
        refused(utf16WithBom(HEX), /UTF-16 byte-order mark/);
        refused(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(HEX, "utf16le").swap16()]), /UTF-16 byte-order mark/);
        refused(Buffer.from(HEX, "utf16le"), /NUL bytes/);
        refused(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(HEX)]), /UTF-8 byte-order mark/);
        refused(Buffer.from("correct horse battery staple"), /not all hexadecimal digits/);
        refused(Buffer.from(HEX.slice(0, 63)), /holds 63 hexadecimal characters/);
        refused(Buffer.from(HEX + "00"), /holds 66 hexadecimal characters/);
        refused(Buffer.from(`${HEX}\n\n`), /not all hexadecimal/);
        refused(Buffer.from(` ${HEX}`), /not all hexadecimal/);
        refused(Buffer.from(""), /empty/);
        refused(Buffer.from("\n"), /empty/);
    });
});

describe("gateway: configuration checks at start-up", () => {
    const h = hashSecret("s3cret-s3cret-s3cret");
    const [, , , , salt, hash] = h.split("$");
    const base = { tenant: "contoso.example", shell: { command: "pwsh" } };
    const withHash = (secretHash: string) => ({ ...base, clients: [{ clientId: "a", secretHash }] });
    const fails = (doc: unknown, message: RegExp) =>
        assert.throws(() => checkConfig(doc, "gw.yaml"), (e: Error) => e instanceof ConfigFileError && message.test(e.message) || assert.fail(e.message));

    it("checks the scrypt parameters of each secret hash, naming the field before the first token request", async () => {
        fails(withHash(`scrypt$1000$8$1$${salt}$${hash}`), /gw\.yaml: clients\[0\]\.secretHash must be an scrypt hash whose N \(cost\) is a power of two 16384–1048576, got 1000/);
        fails(withHash(`scrypt$1024$8$1$${salt}$${hash}`), /clients\[0\]\.secretHash must be .*N \(cost\).*got 1024/);
        fails(withHash(`scrypt$16384$0$1$${salt}$${hash}`), /clients\[0\]\.secretHash must be .*r \(block size\) is 1–32, got 0/);
        fails(withHash(`scrypt$16384$8$0$${salt}$${hash}`), /clients\[0\]\.secretHash must be .*p \(parallelism\) is 1–16, got 0/);
        fails(withHash(`scrypt$16384$8$99$${salt}$${hash}`), /p \(parallelism\) is 1–16, got 99/);
        fails(withHash(`scrypt$1048576$8$1$${salt}$${hash}`), /clients\[0\]\.secretHash must be an scrypt hash needing at most 64 MiB/);
        fails(withHash(`scrypt$65536$8$16$${salt}$${hash}`), /N·r·p is at most/);
        fails(withHash(`scrypt$16384$8$1$AAAA$${hash}`), /salt of at least 16 bytes, got 3/);
        fails(withHash(`scrypt$16384$8$1$${salt}$AAAA`), /scrypt hash of 16–64 bytes, got 3/);
        fails(withHash("bcrypt$xyz"), /clients\[0\]\.secretHash must be an scrypt hash as printed by `clientpolicy gateway hash-secret`/);
        // A hash within bounds passes and verifies.
        const ok = checkConfig(withHash(h), "gw.yaml");
        assert.equal(ok.clients[0].secretHash, h);
        assert.ok(await verifySecret("s3cret-s3cret-s3cret", h));
    });

    it("caps the token lifetime at one hour and checks the limits section, naming the field", () => {
        const good = withHash(h);
        assert.equal(MAX_TOKEN_TTL_SECONDS, 3600);
        assert.equal(checkConfig({ ...good, tokenTtlSeconds: 3600 }, "gw.yaml").tokenTtlSeconds, 3600);
        fails({ ...good, tokenTtlSeconds: 86400 }, /gw\.yaml: tokenTtlSeconds must be an integer 60–3600/);
        const limits = checkConfig(good, "gw.yaml").limits;
        assert.deepEqual({ ...limits, scryptConcurrency: 1 }, { tokenRequestsPerAddress: 60, tokenFailuresPerClient: 10, unauthenticatedPerAddress: 60, scryptConcurrency: 1 });
        assert.ok(limits.scryptConcurrency >= 1);
        fails({ ...good, limits: { tokenRequestsPerAddres: 5 } }, /gw\.yaml: limits\.tokenRequestsPerAddres must be one of tokenRequestsPerAddress/);
        fails({ ...good, limits: { scryptConcurrency: 0 } }, /gw\.yaml: limits\.scryptConcurrency must be an integer 1–64/);
        fails({ ...good, limits: [] }, /gw\.yaml: limits must be a mapping/);
    });
});

describe("server: throttling building blocks", () => {
    it("keeps a bounded set of buckets whatever keys a flood makes up, dropping refilled ones first", () => {
        const t = new Throttle(1, 2, 100);
        for (let i = 0; i < 5000; i++) t.take(`client-${i}`, 1000);
        assert.ok(t.size <= 100, `${t.size} buckets`);
        // A drained bucket survives a prune of refilled ones.
        const u = new Throttle(1, 1, 3);
        u.take("busy", 0);
        u.take("a", 0); u.take("b", 0);
        u.take("c", 5000); // a and b have refilled by then, busy too; the oldest go first
        assert.ok(u.size <= 3);
        assert.equal(new Throttle(1, 1).peek("never-seen"), 0);
    });

    it("peek does not take; take refuses when empty with the seconds to wait", () => {
        const t = new Throttle(10 / 60, 10);
        for (let i = 0; i < 10; i++) assert.equal(t.take("x", 0), 0);
        assert.ok(t.peek("x", 0) > 0);
        assert.ok(t.take("x", 0) > 0);
        assert.equal(t.peek("y", 0), 0);
        assert.equal(t.peek("x", 6001), 0, "one token back after 6 s at 10 per minute");
    });

    it("runs at most `concurrency` tasks and refuses beyond the queue", async () => {
        const l = new Limiter(2, 3, () => new Error("full"));
        let running = 0;
        let peak = 0;
        const gates: Array<() => void> = [];
        const task = () => l.run(async () => {
            running++;
            peak = Math.max(peak, running);
            await new Promise<void>((r) => gates.push(r));
            running--;
        });
        const all = [task(), task(), task(), task(), task()];
        await assert.rejects(task(), /full/);
        assert.equal(l.pending, 5);
        while (l.pending > 0) {
            await new Promise((r) => setImmediate(r));
            gates.shift()?.();
        }
        await Promise.all(all);
        assert.equal(peak, 2);
    });
});
