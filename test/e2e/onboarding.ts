/**
 * Shared pieces of the onboarding e2e tests (export, cmdlets, the README walk-through): two identical tenants in one
 * emulator (same users, same user ids) so one can be a copy of the other, a tenant view per tenant for the test
 * helpers, copying a tenant through the tenant API (owners included), and running the `clientpolicy` command.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { OWNER_ANNOTATION, Routes } from "../../api/contract";
import type { SeedFile } from "../../emulator";
import { REPO_ROOT, TEST_CLIENT_SECRET, TestTenant, startTestEmulator } from "../../testkit/emulator";
import { call } from "../../testkit/tenantApi";
import { dumpTenant, putPolicy } from "../../testkit/tenantFixtures";

/** A seed of two tenants with the same `count` users (same ids), for copy tests. */
export function twinSeed(ids: [string, string], count: number): SeedFile {
    const users = (domain: string) => Array.from({ length: count }, (_, i) => {
        const n = String(i + 1).padStart(5, "0");
        return {
            id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, displayName: `User ${n}`,
            sipAddress: `sip:user${n}@${domain}`, userPrincipalName: `user${n}@${domain}`, logon: `TWIN\\user${n}`,
        };
    });
    // Both tenants use the first tenant's domain for SIP addresses, so the same identities resolve in both.
    return { tenants: ids.map((id) => ({ id, apps: [{ clientId: "demo-client", clientSecret: TEST_CLIENT_SECRET }], users: users(ids[0]) })) } as SeedFile;
}

/** Starts an emulator hosting the twin tenants; returns a view per tenant. */
export async function startTwins(ids: [string, string], count: number): Promise<[TestTenant, TestTenant]> {
    const a = await startTestEmulator({ seed: twinSeed(ids, count), tenantId: ids[0] });
    const b: TestTenant = {
        ...a, tenantId: ids[1], token: () => a.tokenFor(ids[1]),
        powershell: (script: string, tenantId?: string) => a.powershell(script, tenantId ?? ids[1]),
        stats: (tenantId?: string) => a.stats(tenantId ?? ids[1]),
    };
    return [a, b];
}

/** Makes `to` hold exactly `from`'s policies and grants, owners included (through the tenant API). */
export async function copyTenant(from: TestTenant, to: TestTenant): Promise<void> {
    const src = await dumpTenant(from, { withOwners: true });
    for (const [identity, body] of Object.entries(src.policies)) {
        const exists = (await call(to, "GET", Routes.policy(identity))).status === 200;
        if (exists && identity !== "Global") throw new Error(`copyTenant: ${identity} already exists in ${to.tenantId}`);
        await putPolicy(to, { ...body, [OWNER_ANNOTATION]: body[OWNER_ANNOTATION] ?? null });
    }
    for (const [identity, users] of Object.entries(src.grants as Record<string, Record<string, string | null>>)) {
        for (const [id, owner] of Object.entries(users)) {
            const r = await call(to, "PUT", Routes.userAssignment(id), { body: { PolicyName: identity.slice(4), ...(owner ? { Owner: owner } : {}) } });
            if (r.status !== 200) throw new Error(`copyTenant: grant ${identity} to ${id}: ${r.status} ${r.text}`);
        }
    }
}

/** Result of one `clientpolicy` run. */
export interface CliRun { code: number; stdout: string; stderr: string }

/** Runs `clientpolicy <args>` (cli/main.ts through ts-node) in `cwd` with `env`. */
export function runClientpolicy(args: string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "cli", "main.ts"), ...args],
            { cwd, env: { ...env, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => { stdout += d; if (process.env.E2E_VERBOSE) process.stdout.write(d); });
        child.stderr.on("data", (d) => { stderr += d; if (process.env.E2E_VERBOSE) process.stderr.write(d); });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}
