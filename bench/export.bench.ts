/**
 * export-200-20000: `clientpolicy export --include-grants` of a tenant with 200 client policies (Global, 9 site and
 * 190 tag policies, a few settings each) and 20,000 directly granted users (spread over the tag policies), against an
 * in-process emulator over loopback HTTP: the whole read (policies and every assignment page, through the provider's
 * client) and the TypeScript rendering, as the command runs them. Prints `bench export-200-20000 <s> s` (target
 * ≤ 60 s), the tenant API calls it took, and the program's size.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Routes } from "../api/contract";
import { startEmulator } from "../emulator";
import { TenantClient } from "../provider/client/tenantClient";
import { readTenant } from "../cli/export/read";
import { nameResources, renderTypeScript } from "../cli/export/render";

const POLICIES = 200;
const USERS = Number(process.env.BENCH_EXPORT_USERS ?? 20000);
const TENANT = "contoso.example";
const user = (i: number) => `sip:user${String(i).padStart(5, "0")}@contoso.example`;

async function main(): Promise<void> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-bench-export-"));
    const emu = await startEmulator({ dataDir, port: 0, users: USERS, rate: 0 });
    try {
        const creds = emu.credentials(TENANT);
        const client = new TenantClient({ endpoint: emu.url, ...creds, batchPollStartMs: 20 });
        // Seed: 9 site and 190 tag policies besides Global, then the grants through the batch API.
        const cur = await client.getPolicy("Global");
        await client.putPolicy("Global", { Identity: "Global", EnableIMAutoArchiving: false, DisplayPhoto: "PhotosFromADOnly" }, { ifMatch: cur.etag });
        const tags: string[] = [];
        for (let i = 1; i < POLICIES; i++) {
            const identity = i <= 9 ? `site:Site${i}` : `Tag:Team ${String(i).padStart(3, "0")}`;
            if (identity.startsWith("Tag:")) tags.push(identity.slice(4));
            await client.putPolicy(identity, {
                Identity: identity, EnableURL: i % 2 === 0, MaximumNumberOfContacts: i, HotdeskingTimeout: "00:10:00",
                Description: `Bench policy ${i}`, PolicyEntry: [{ Name: "Bench", Value: String(i) }],
            }, { ifNoneMatch: "*" });
        }
        const perTag = new Map<string, string[]>(tags.map((t) => [t, []]));
        for (let u = 1; u <= USERS; u++) perTag.get(tags[u % tags.length])!.push(user(u));
        for (const [tag, users] of perTag) await client.batchAssign(tag, users);
        const listed = (await client.send<{ value: unknown[] }>("GET", `${Routes.policies()}?$top=1000`)).json.value.length;
        if (listed !== POLICIES) throw new Error(`seeded ${listed} policies, expected ${POLICIES}`);

        const exporter = new TenantClient({ endpoint: emu.url, ...creds });
        const before = emu.stats(TENANT).requests;
        const started = process.hrtime.bigint();
        const snapshot = await readTenant(exporter, { includeGrants: true });
        const program = renderTypeScript(nameResources(snapshot));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const calls = emu.stats(TENANT).requests - before;
        const users = snapshot.grants.reduce((n, g) => n + g.users.length, 0);
        if (snapshot.policies.length !== POLICIES || users !== USERS) throw new Error(`exported ${snapshot.policies.length} policies and ${users} users`);
        console.log(`bench export-200-${USERS} ${seconds.toFixed(2)} s (target ≤ 60)`);
        console.log(`bench export-200-${USERS}-calls ${calls} calls`);
        console.log(`bench export-200-${USERS}-program ${(Buffer.byteLength(program) / 1024).toFixed(0)} KiB`);
    } finally {
        await emu.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
