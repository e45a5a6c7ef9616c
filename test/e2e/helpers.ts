/**
 * Shared pieces of the end-to-end tier: a tenant emulator per test file, a
 * stack per program on its own file:// backend, and direct reads of the
 * tenant's API to check what the CLI really did.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { startTestEmulator, TestTenant } from "../../testkit/emulator";
import { call, policyPath, tenantClient, userPath } from "../../testkit/tenantApi";
import { openExampleStack, ExampleStack, ExampleStackOptions, stateFile } from "../../testkit/stack";

export { TestTenant };

/** Starts an emulator for one test file. */
export async function startTenant(opts: Parameters<typeof startTestEmulator>[0] = {}): Promise<TestTenant> {
    return startTestEmulator(opts);
}

/** Opens a stack for `program` connected to `tenant` (unless `connection` overrides). */
export async function openStack(tenant: TestTenant, program: string, extra: Partial<ExampleStackOptions> = {}): Promise<ExampleStack> {
    return openExampleStack({
        example: program,
        connection: {
            endpoint: tenant.url, tenantId: tenant.tenantId,
            clientId: tenant.clientId, clientSecret: tenant.clientSecret,
        },
        ...extra,
    });
}

/** Collects the CLI's output of one operation (and echoes it when E2E_VERBOSE is set). */
export function collector(sink?: string[]): { onOutput: (s: string) => void; text: () => string } {
    const chunks: string[] = [];
    return {
        onOutput: (s: string) => {
            chunks.push(s);
            sink?.push(s);
            if (process.env.E2E_VERBOSE) process.stdout.write(s);
        },
        text: () => chunks.join(""),
    };
}

/** Reads a policy from the tenant (undefined when it does not exist). */
export async function getPolicy(tenant: TestTenant, identity: string): Promise<Record<string, any> | undefined> {
    const r = await call(tenant, "GET", policyPath(identity));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET policy ${identity}: ${r.status} ${r.text}`);
    return r.json;
}

/** The direct client policy assignment of a user (null when none). */
export async function assignmentOf(tenant: TestTenant, user: string): Promise<string | null> {
    const r = await call(tenant, "GET", userPath(user));
    if (r.status !== 200) throw new Error(`GET user ${user}: ${r.status} ${r.text}`);
    return r.json.ClientPolicy ?? null;
}

/** Number of users directly granted a policy (walks every page). */
export async function assignmentCount(tenant: TestTenant, identity: string): Promise<number> {
    return (await tenantClient(tenant).listAssignments(identity)).length;
}

/** The raw text of a stack's state file on its file backend. */
export function readStateFile(stack: ExampleStack): string {
    return fs.readFileSync(stateFile(stack), "utf8");
}

/**
 * examples/bulk-grant against `tenant` (any backend): 3,000 users granted through the batch API, the list trimmed to
 * 2,500 (only the difference unassigned, one update), then destroyed (policy gone, nobody assigned).
 */
export async function bulkGrantScenario(tenant: TestTenant): Promise<void> {
    const h = await openStack(tenant, "bulk-grant");
    try {
        const up = await h.stack.up({ onOutput: collector().onOutput });
        assert.equal(up.outputs.grantedCount.value, 3000);
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), 3000);
        // Trim the list: only the difference is unassigned.
        await h.stack.setConfig("bulk-grant:limit", { value: "2500" });
        const trimmed = await h.stack.up({ onOutput: collector().onOutput });
        assert.equal(trimmed.summary.resourceChanges?.update, 1);
        assert.equal(await assignmentCount(tenant, "Tag:NoOfflineIM"), 2500);
        assert.equal(await assignmentOf(tenant, "sip:user02501@contoso.example"), null);
        await h.stack.destroy({ onOutput: collector().onOutput });
        assert.equal(await getPolicy(tenant, "Tag:NoOfflineIM"), undefined);
        assert.equal(await assignmentOf(tenant, "sip:user00001@contoso.example"), null);
    } finally {
        await h.dispose();
    }
}
