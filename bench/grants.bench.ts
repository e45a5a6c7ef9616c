/**
 * grant-10000: one PolicyGrant of 10,000 users against one of 100 users (the baseline, same run, same emulator):
 * total tenant API calls (counted by the emulator), the grant's own time ratio, state bytes per user, and adding one
 * user to the 10,000 (calls, time). Prints `bench grant-10000-… <value> <unit>` and `ratio grant-10000 <x>`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { clientPolicyProvider, policyGrantProvider } from "../provider";
import { setClientOverridesForTesting } from "../provider/runtime";

const N = Number(process.env.BENCH_USERS ?? 10000);
const SMALL = 100;
const TENANT = "contoso.example";
const user = (i: number) => `sip:user${String(i).padStart(5, "0")}@contoso.example`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const t = process.hrtime.bigint();
    const value = await fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

async function main(): Promise<void> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-bench-"));
    const emu = await startEmulator({ dataDir, port: 0, users: N + SMALL + 10, rate: 0 });
    try {
        const creds = emu.credentials(TENANT);
        setClientOverridesForTesting({ batchPollStartMs: 20 });
        const values: Record<string, string> = {
            "clientpolicy:endpoint": emu.url, "clientpolicy:tenantId": creds.tenantId,
            "clientpolicy:clientId": creds.clientId, "clientpolicy:clientSecret": creds.clientSecret,
        };
        const config = { get: (k: string) => values[k], require: (k: string) => values[k] };
        await clientPolicyProvider.configure!({ config });
        await policyGrantProvider.configure!({ config });
        await emu.powershell(TENANT, "New-CsClientPolicy -Identity BenchSmall\nNew-CsClientPolicy -Identity BenchLarge");

        const grant = async (policyName: string, users: string[]) => {
            const before = emu.stats(TENANT).requests;
            const inputs = { policyName, users, owner: "bench/dev/grant" };
            const checked = await timed(() => policyGrantProvider.check!({}, inputs));
            const created = await timed(() => policyGrantProvider.create(checked.value.inputs));
            return { ms: checked.ms + created.ms, calls: emu.stats(TENANT).requests - before, outs: created.value };
        };
        const small = await grant("BenchSmall", Array.from({ length: SMALL }, (_, i) => user(i + 1)));
        const largeUsers = Array.from({ length: N }, (_, i) => user(SMALL + i + 1));
        const large = await grant("BenchLarge", largeUsers);
        const stateBytes = Buffer.byteLength(JSON.stringify(large.outs.outs));

        // Adding one user: the engine calls check() with the old inputs, then update() with the old outputs.
        const oldInputs = { policyName: "BenchLarge", users: largeUsers, owner: "bench/dev/grant" };
        const newInputs = { ...oldInputs, users: [...largeUsers, user(N + SMALL + 1)] };
        const before = emu.stats(TENANT).requests;
        const added = await timed(async () => {
            const c = await policyGrantProvider.check!(oldInputs, newInputs);
            await policyGrantProvider.update!(large.outs.id, large.outs.outs, c.inputs);
        });
        const addCalls = emu.stats(TENANT).requests - before;

        console.log(`bench grant-10000-calls ${large.calls} calls (${N} users; ${SMALL} users: ${small.calls} calls)`);
        console.log(`bench grant-10000-time ${large.ms.toFixed(0)} ms (${SMALL} users: ${small.ms.toFixed(0)} ms)`);
        console.log(`ratio grant-10000 ${(large.ms / small.ms).toFixed(1)} (time, ${N / SMALL}x the users)`);
        console.log(`bench grant-10000-state-bytes-per-user ${(stateBytes / N).toFixed(0)} bytes`);
        console.log(`bench grant-10000-add-one ${addCalls} calls, ${added.ms.toFixed(0)} ms`);
    } finally {
        await emu.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
}

main().catch((err: Error) => { console.error(`bench failed: ${err.message}`); process.exit(1); });
