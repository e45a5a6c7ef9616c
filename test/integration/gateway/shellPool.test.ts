/**
 * The shell pool with real child processes that misbehave at start or when busy (the protocol's other failures are in
 * gateway.test.ts through the stand-in shell).
 */
import * as assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ShellPool } from "../../../gateway/shell";
import { Ps } from "../../../gateway/commands";

const node = (script: string) => ({ command: process.execPath, args: ["-e", script] });
const READY = `process.stdout.write(JSON.stringify({ ready: true }) + "\\n");`;

describe("gateway: shell pool", function () {
    this.timeout(30_000);

    it("refuses to start when a shell exits, never gets ready, or prints something else first", async () => {
        for (const [script, why] of [
            ["process.exit(7)", /exited \(code 7\)/],
            ["setTimeout(() => {}, 1e6)", /did not start in time/],
            ["console.log('Welcome to PowerShell'); setTimeout(() => {}, 1e6)", /printed "Welcome to PowerShell" before its ready line/],
        ] as const) {
            const pool = new ShellPool({ shell: node(script), size: 1, startTimeoutMs: 1500 });
            await assert.rejects(pool.start(), (e: Error) => why.test(e.message), script);
            await pool.close();
        }
    });

    it("answers 503 instead of waiting forever when no shell can be started any more", async () => {
        // The first shell dies on its first request and leaves a marker; every replacement then exits at start.
        const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "cpac-pool-")), "broken");
        const script = `const fs = require("fs"); if (fs.existsSync(${JSON.stringify(marker)})) process.exit(9); ${READY}
            process.stdin.on("data", () => { fs.writeFileSync(${JSON.stringify(marker)}, "x"); process.exit(1); });`;
        const pool = new ShellPool({ shell: node(script), size: 1, commandTimeoutMs: 1000, perLineTimeoutMs: 0, startTimeoutMs: 5000 });
        await pool.start();
        try {
            await assert.rejects(pool.run([Ps.listPolicies()]), (e: Error & { status?: number }) => e.status === 503 && /exited/.test(e.message));
            const started = Date.now();
            await assert.rejects(pool.run([Ps.listPolicies()]), (e: Error & { status?: number }) => e.status === 503 && /no shell became free/.test(e.message));
            assert.ok(Date.now() - started < 5000);
            assert.ok(pool.replaced >= 1);
        } finally {
            await pool.close();
        }
    });
});
