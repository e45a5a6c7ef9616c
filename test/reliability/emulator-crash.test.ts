/**
 * Reliability: kill -9 of a real emulator process (emulator/main.ts, its SQLite store) in the middle
 * of a burst of writes, 20 runs on one data directory. Each of 6 writers sends one write at a time — create a policy,
 * patch its counter policy, grant its user — and counts the answers it got (acknowledged writes). After the kill:
 *
 * - the database opens and passes `PRAGMA integrity_check`;
 * - for every writer, the stored state is exactly the state after its writes 1..m, with m = its acknowledged count or
 *   one more (the one write that may have been in flight): every acknowledged write is there and nothing beyond a
 *   prefix (no gap, no later write);
 * - the next run's start is the restart: the emulator opens the same store and serves the previous run's writes.
 *
 * Loopback only; the kill comes after a random number (15–120) of acknowledged writes.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openDatabase } from "../../server/sqlite";
import { DATABASE_FILE, readStoredTenants } from "../../emulator/sqliteStore";
import type { TenantState } from "../../emulator/store";
import { startTestEmulator, type TestTenant } from "../../testkit/emulator";
import { call, grantPath, policyPath } from "../integration/emulator/util";

const RUNS = Number(process.env.CRASH_RUNS ?? 20);
const WRITERS = 6;
const TENANT = "contoso.example";

/** Write i (1-based) of writer w in run r: its kind follows i modulo 3. */
const created = (r: number, w: number, i: number) => `R${r}-W${w}-P${i}`;
const counter = (r: number, w: number) => `R${r}-W${w}-Counter`;
const userOf = (w: number) => `User ${String(w + 1).padStart(5, "0")}`;
const kindOf = (i: number) => (["create", "patch", "grant"] as const)[(i - 1) % 3];
/** The policy a grant (write i) names: the one created by write i - 2. */
const grantTarget = (r: number, w: number, i: number) => created(r, w, i - 2);

/** What writer w's rows must look like after its writes 1..m. */
function expected(r: number, w: number, m: number): { policies: string[]; counter: string | undefined; grant: string | null } {
    const policies: string[] = [];
    let count: string | undefined;
    let grant: string | null = null;
    for (let i = 1; i <= m; i++) {
        const k = kindOf(i);
        if (k === "create") policies.push(created(r, w, i));
        else if (k === "patch") count = String(i);
        else grant = grantTarget(r, w, i);
    }
    return { policies, counter: count, grant };
}

/** Writer w's rows as stored. */
function actual(state: TenantState, r: number, w: number): { policies: string[]; counter: string | undefined; grant: string | null } {
    const prefix = `Tag:R${r}-W${w}-P`;
    const policies = Object.values(state.policies).map((p) => p.identity).filter((id) => id.startsWith(prefix)).map((id) => id.slice(4));
    policies.sort((a, b) => Number(a.split("-P")[1]) - Number(b.split("-P")[1]));
    const c = state.policies[`TAG:${counter(r, w).toUpperCase()}`]?.settings.IMWarning as string | undefined;
    const user = state.users.find((u) => u.displayName === userOf(w))!;
    const granted = user.clientPolicy?.startsWith(`R${r}-`) ? user.clientPolicy : null;
    return { policies, counter: c === "start" ? undefined : c, grant: granted };
}

async function write(t: TestTenant, token: string, r: number, w: number, i: number): Promise<void> {
    const k = kindOf(i);
    const res = k === "create"
        ? await call(t, "PUT", policyPath(created(r, w, i)), { token, body: { IMWarning: `w${w}` }, headers: { "if-none-match": "*" } })
        : k === "patch"
            ? await call(t, "PATCH", policyPath(counter(r, w)), { token, body: { IMWarning: String(i) } })
            : await call(t, "PUT", grantPath(userOf(w)), { token, body: { PolicyName: grantTarget(r, w, i) } });
    if (res.status >= 300) throw new Error(`write ${i} of writer ${w} (${k}): HTTP ${res.status} ${res.text}`);
}

describe("reliability: emulator crash safety (kill -9 during a burst of writes)", function () {
    this.timeout(900_000);
    let dataDir: string;
    before(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), "cpac-crash-")); });
    after(() => { rmSync(dataDir, { recursive: true, force: true }); });

    it(`${RUNS} runs: every restart opens a valid store holding a prefix of the writes with every acknowledged one`, async () => {
        let previous: { r: number; names: string[] } | undefined;
        const summary: string[] = [];
        for (let r = 1; r <= RUNS; r++) {
            const t = await startTestEmulator({ dataDir, keepData: true, inProcess: false, users: 10 });
            const token = await t.token();
            // The restart serves what the previous run's acknowledged writes stored.
            if (previous) {
                for (const name of previous.names.slice(-3)) {
                    assert.equal((await call(t, "GET", policyPath(name), { token })).status, 200, `run ${r}: ${name} of run ${previous.r} missing after restart`);
                }
            }
            for (let w = 0; w < WRITERS; w++) {
                const res = await call(t, "PUT", policyPath(counter(r, w)), { token, body: { IMWarning: "start" }, headers: { "if-none-match": "*" } });
                assert.equal(res.status, 201, res.text);
            }
            const acked = new Array<number>(WRITERS).fill(0);
            const killAfter = 15 + Math.floor(Math.random() * 106);
            let total = 0;
            let killed = false;
            const writer = async (w: number) => {
                for (let i = 1; !killed; i++) {
                    try {
                        await write(t, token, r, w, i);
                    } catch (e) {
                        if (killed) return; // refused or reset: the process is gone
                        throw e;
                    }
                    acked[w] = i;
                    if (++total >= killAfter && !killed) {
                        killed = true;
                        t.child!.kill("SIGKILL");
                    }
                }
            };
            await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
            await new Promise((res) => (t.child!.exitCode !== null || t.child!.signalCode !== null ? res(undefined) : t.child!.once("exit", res)));
            assert.equal(t.child!.signalCode, "SIGKILL");

            const db = openDatabase(path.join(dataDir, DATABASE_FILE));
            try {
                assert.deepEqual(db.prepare("PRAGMA integrity_check").all().map((row) => ({ ...row })), [{ integrity_check: "ok" }], `run ${r}: integrity_check`);
            } finally {
                db.close();
            }
            const state = readStoredTenants(dataDir).find((s) => s.id === TENANT)!;
            let inFlightStored = 0;
            for (let w = 0; w < WRITERS; w++) {
                const got = actual(state, r, w);
                const k = acked[w];
                const ok = [k, k + 1].find((m) => JSON.stringify(expected(r, w, m)) === JSON.stringify(got));
                assert.ok(ok !== undefined, `run ${r}, writer ${w}: ${k} writes acknowledged; stored ${JSON.stringify(got)}; ` +
                    `expected ${JSON.stringify(expected(r, w, k))} or ${JSON.stringify(expected(r, w, k + 1))}`);
                if (ok === k + 1) inFlightStored++;
            }
            summary.push(`${acked.reduce((a, b) => a + b, 0)}+${inFlightStored}`);
            const names = acked.flatMap((k, w) => expected(r, w, k).policies);
            previous = { r, names };
        }
        // acknowledged writes + unacknowledged in-flight writes found stored, per run
        console.log(`      runs: ${summary.join(" ")}`);
        const t = await startTestEmulator({ dataDir, keepData: true, inProcess: false, users: 10 });
        try {
            const token = await t.token();
            for (const name of previous!.names.slice(-3)) assert.equal((await call(t, "GET", policyPath(name), { token })).status, 200);
        } finally {
            await t.stop();
        }
    });
});
