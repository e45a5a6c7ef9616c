/**
 * check-diff-92: ClientPolicy check()+diff() of an unchanged program that declares all 92 settings, per resource,
 * against the floor of a plain JSON compare of the same state (both measured in this run). No tenant is configured,
 * so check() does no I/O, as in a no-op `pulumi preview` of an existing resource.
 *
 * Prints `bench check-diff-92 <µs> us/resource` (median of 7 repetitions, with min and max) and
 * `ratio check-diff-92 <provider/plain>`.
 */
import { SETTINGS, camelName } from "../api/catalogue";
import { clientPolicyProvider } from "../provider";
import { outputsFromWire, wireBody } from "../provider/resources/clientPolicy.model";

const ITER = 2000;
const REPS = 7;

function fullProgram(): Record<string, unknown> {
    const sample: Record<string, unknown> = { identity: "Tag:BenchFull", owner: "bench/dev/full" };
    for (const d of SETTINGS) {
        sample[camelName(d.name)] = d.kind === "boolean" ? true : d.kind === "uint" ? d.min
            : d.kind === "timespan" ? d.min! + 30 > d.max! ? d.min : d.min! + 30
            : d.kind === "enum" ? d.values![0] : d.kind === "policyEntry" ? [{ name: "a", value: "b" }] : "text";
    }
    return sample;
}

async function perResource(fn: () => Promise<unknown> | unknown): Promise<number> {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITER; i++) await fn();
    return Number(process.hrtime.bigint() - start) / 1000 / ITER;
}

const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

async function main(): Promise<void> {
    for (const k of Object.keys(process.env)) if (k.startsWith("CLIENTPOLICY_")) delete process.env[k];
    const program = fullProgram();
    const checked = (await clientPolicyProvider.check!({}, program)).inputs;
    const settings = Object.fromEntries(Object.entries(checked).filter(([k]) => k !== "identity" && k !== "owner"));
    // The state a create would store (what the tenant answers for this program).
    const olds = { ...outputsFromWire(wireBody("Tag:BenchFull", settings), "\"1\"", checked, "bench/dev/full"), owner: "bench/dev/full" };
    const provider: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < REPS; r++) {
        provider.push(await perResource(async () => {
            const c = await clientPolicyProvider.check!(checked, program);
            const d = await clientPolicyProvider.diff!("Tag:BenchFull", olds, c.inputs);
            if (d.changes) throw new Error(`unexpected change: ${JSON.stringify(d)}`);
        }));
        plain.push(await perResource(() => JSON.stringify(olds) === JSON.stringify({ ...olds })));
    }
    const p = stats(provider);
    const b = stats(plain);
    console.log(`bench check-diff-92 ${p.median.toFixed(1)} us/resource (min ${p.min.toFixed(1)}, max ${p.max.toFixed(1)}; target ≤ 300)`);
    console.log(`bench check-diff-92-plain-json ${b.median.toFixed(1)} us/resource (min ${b.min.toFixed(1)}, max ${b.max.toFixed(1)})`);
    console.log(`ratio check-diff-92 ${(p.median / b.median).toFixed(1)}`);
}

main().catch((err: Error) => { console.error(`bench failed: ${err.message}`); process.exit(1); });
