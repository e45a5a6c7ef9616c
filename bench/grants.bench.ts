/**
 * `npm run bench`: speed and memory of the two hot paths, each against a
 * baseline measured in the same run on the same emulator, printed as ratios.
 *
 * 1. Granting N users: PolicyGrant.create (batch API, 5,000 per call, polled)
 *    vs. the baseline of one Grant-CsClientPolicy-style PUT per user.
 * 2. An unchanged program: ClientPolicy check()+diff() with all 92 settings
 *    declared (what every `pulumi preview` pays per resource) vs. a plain
 *    JSON deep-compare of the same objects.
 */
import { startTestEmulator } from "../test/helpers/emulator";
import { SETTINGS, camelName } from "../api/catalogue";
import { clientPolicyProvider, policyGrantProvider, configureFor } from "../test/integration/provider/harness";

const N = Number(process.env.BENCH_USERS ?? 2000);
const ITER = Number(process.env.BENCH_DIFFS ?? 2000);
const user = (i: number) => `sip:user${String(i).padStart(5, "0")}@contoso.example`;
const mb = (n: number) => (n / 1048576).toFixed(1);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const t = process.hrtime.bigint();
    const value = await fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

async function main(): Promise<void> {
    const tenant = await startTestEmulator({ users: 2 * N + 10 });
    try {
        await configureFor(tenant);
        await tenant.powershell("New-CsClientPolicy -Identity BenchA\nNew-CsClientPolicy -Identity BenchB");
        const token = await tenant.token();

        // Baseline: one PUT per user, sequential, like a PowerShell loop of Grant-CsClientPolicy.
        const baseline = await timed(async () => {
            for (let i = 1; i <= N; i++) {
                const res = await fetch(`${tenant.url}/users/${encodeURIComponent(user(i))}/policyAssignments/ClientPolicy`, {
                    method: "PUT",
                    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
                    body: JSON.stringify({ PolicyName: "BenchA" }),
                });
                if (res.status !== 200 && res.status !== 204) throw new Error(`baseline grant ${i}: ${res.status}`);
                await res.arrayBuffer();
            }
        });
        const rssBefore = process.memoryUsage().rss;
        const users = Array.from({ length: N }, (_, i) => user(N + i + 1));
        const batch = await timed(() => policyGrantProvider.create({ policyName: "BenchB", users }));
        const rssAfter = process.memoryUsage().rss;
        const granted = (batch.value.outs.resolvedUsers as unknown[]).length;
        if (granted !== N) throw new Error(`batch granted ${granted} of ${N}`);

        // check()+diff() of an unchanged, fully declared policy.
        const sample: Record<string, unknown> = { identity: "Tag:BenchFull" };
        for (const d of SETTINGS) {
            const k = camelName(d.name);
            sample[k] = d.kind === "boolean" ? true : d.kind === "uint" ? d.min : d.kind === "timespan" ? d.min! + 30 > d.max! ? d.min : d.min! + 30
                : d.kind === "enum" ? d.values![0] : d.kind === "policyEntry" ? [{ name: "a", value: "b" }] : "text";
        }
        const checkedInputs = (await clientPolicyProvider.check!({}, sample)).inputs;
        const created = await clientPolicyProvider.create(checkedInputs);
        const olds = created.outs;
        const diffs = await timed(async () => {
            for (let i = 0; i < ITER; i++) {
                const c = await clientPolicyProvider.check!(olds, sample);
                const d = await clientPolicyProvider.diff!(created.id, olds, c.inputs);
                if (d.changes) throw new Error(`unexpected change: ${JSON.stringify(d)}`);
            }
        });
        const plain = await timed(async () => {
            let same = 0;
            for (let i = 0; i < ITER; i++) if (JSON.stringify(olds) === JSON.stringify({ ...olds })) same++;
            return same;
        });

        const rows = [
            [`grant ${N} users`, `${baseline.ms.toFixed(0)} ms (1 PUT per user)`, `${batch.ms.toFixed(0)} ms (PolicyGrant, batch)`, `${(baseline.ms / batch.ms).toFixed(1)}x faster`],
            [`no-op check+diff ×${ITER}`, `${plain.ms.toFixed(1)} ms (JSON compare)`, `${diffs.ms.toFixed(1)} ms (provider)`, `${(diffs.ms / plain.ms).toFixed(1)}x the baseline cost, ${(diffs.ms * 1000 / ITER).toFixed(0)} µs per resource`],
        ];
        console.log("benchmark                      | baseline                          | candidate                     | ratio");
        for (const r of rows) console.log(r.map((c, i) => c.padEnd([30, 33, 29, 0][i])).join(" | "));
        console.log(`memory: RSS ${mb(rssBefore)} MiB before the ${N}-user batch grant, ${mb(rssAfter)} MiB after (+${mb(rssAfter - rssBefore)} MiB)`);
    } finally {
        await tenant.stop();
    }
}

main().catch((err: Error) => { console.error(`bench failed: ${err.message}`); process.exit(1); });
