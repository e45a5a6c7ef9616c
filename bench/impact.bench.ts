/**
 * impact-50000: the fleet report's true impact (cli/report/impact.ts `addImpact`) of a Global change and of a site
 * policy's deletion on a 50,000-user emulator tenant with two sites (Redmond with a site policy, Dublin without, 1,000
 * users granted a per-user policy), against the same tenant's plain user listing (`GET /users`, every page of 1,000)
 * in the same run. Tenant API calls are counted by the emulator. Target: each change ≤ 0.2× the listing's time and
 * ≤ 5 calls. Prints `bench impact-50000-… <value> <unit>` and `ratio impact-50000-… <x>`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Routes, type WirePage, type WireUser } from "../api/contract";
import { startEmulator } from "../emulator";
import { addImpact, clientOf } from "../cli/report/impact";
import type { Change } from "../api/report";

const N = Number(process.env.BENCH_USERS ?? 50000);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const TENANT = "impact.example";
const SECRET = "bench-secret-0123456789";
const CP = "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy";

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const t = process.hrtime.bigint();
    const value = await fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-bench-impact-"));
    const grants = Array.from({ length: Math.min(1000, Math.floor(N / 37)) }, (_, i) => `Grant-CsClientPolicy -Identity "User ${String(i * 37 + 1).padStart(5, "0")}" -PolicyName OfflineIM`);
    const emu = await startEmulator({
        dataDir, port: 0, rate: 0,
        seed: {
            tenants: [{
                id: TENANT, apps: [{ clientId: "demo-client", clientSecret: SECRET }],
                sites: [{ name: "Redmond", pools: ["red-cs-001.impact.example"] }, { name: "Dublin", pools: ["dub-cs-001.impact.example"] }],
                generatedUsers: N,
                policies: [
                    { Identity: "Global", EnableIMAutoArchiving: false },
                    { Identity: "site:Redmond", EnableIMAutoArchiving: true },
                    { Identity: "Tag:OfflineIM", EnableIMAutoArchiving: true },
                ],
                script: grants,
            }],
        },
    });
    try {
        const config = { "clientpolicy:endpoint": emu.url, "clientpolicy:tenantId": TENANT, "clientpolicy:clientId": "demo-client", "clientpolicy:clientSecret": SECRET };
        const client = clientOf(config);
        await client.token();
        const calls = async <T>(fn: () => Promise<T>) => {
            const before = emu.stats(TENANT).requests;
            const r = await timed(fn);
            return { ...r, calls: emu.stats(TENANT).requests - before };
        };
        const listing = async () => {
            let n = 0;
            let next: string | undefined = Routes.users({ top: 1000 });
            while (next) {
                const res: { json: WirePage<WireUser> } = await client.send("GET", next);
                n += res.json.value.length;
                next = res.json["@nextLink"];
            }
            return n;
        };
        const change = (c: Partial<Change>): Change => ({ urn: `urn:pulumi:s::p::${CP}::x`, type: "ClientPolicy", name: "x", kind: "pending", op: "update", identity: null, properties: [], ...c }) as Change;
        const global = change({ identity: "Global", properties: [{ path: "enableIMAutoArchiving", before: false, after: true, kind: "pending" }] });
        const siteDelete = change({ identity: "site:Redmond", op: "delete" });

        const runs: Record<string, { ms: number[]; calls: number; users: number | null }> = {
            listing: { ms: [], calls: 0, users: null }, global: { ms: [], calls: 0, users: null }, siteDelete: { ms: [], calls: 0, users: null },
        };
        // Interleaved, so the three share the machine's load alike.
        for (let i = 0; i < REPS; i++) {
            const l = await calls(listing);
            runs.listing.ms.push(l.ms); runs.listing.calls = l.calls; runs.listing.users = l.value;
            for (const [key, c] of [["global", global], ["siteDelete", siteDelete]] as const) {
                const r = await calls(() => addImpact([c], config));
                runs[key].ms.push(r.ms); runs[key].calls = r.calls; runs[key].users = r.value[0].impact!.users;
            }
        }
        const list = median(runs.listing.ms);
        console.log(`bench impact-50000-listing ${list.toFixed(0)} ms (${runs.listing.users} users, ${runs.listing.calls} calls; median of ${REPS})`);
        for (const [key, label] of [["global", "global-change"], ["siteDelete", "site-policy-deletion"]] as const) {
            const ms = median(runs[key].ms);
            console.log(`bench impact-50000-${label} ${ms.toFixed(0)} ms, ${runs[key].calls} calls, ${runs[key].users} users reached (median of ${REPS})`);
            console.log(`ratio impact-50000-${label} ${(ms / list).toFixed(3)} (target ≤ 0.2; calls ${runs[key].calls}, target ≤ 5)`);
        }
    } finally {
        await emu.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

main().catch((err: Error) => { console.error(`bench failed: ${err.message}`); process.exit(1); });
