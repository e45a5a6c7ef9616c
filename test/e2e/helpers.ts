/**
 * Shared pieces of the end-to-end tier: a tenant emulator per test file, a
 * stack per program on its own file:// backend, and direct reads of the
 * tenant's API to check what the CLI really did.
 */
import * as fs from "node:fs";
import { startTestEmulator, TestTenant } from "../helpers/emulator";
import { openExampleStack, ExampleStack, ExampleStackOptions, stateFile } from "../../scripts/lib/stack";

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
export function collector(): { onOutput: (s: string) => void; text: () => string } {
    const chunks: string[] = [];
    return {
        onOutput: (s: string) => {
            chunks.push(s);
            if (process.env.E2E_VERBOSE) process.stdout.write(s);
        },
        text: () => chunks.join(""),
    };
}

/** Calls the tenant API directly, as a second client next to the provider. */
export async function tenantApi(tenant: TestTenant, method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${tenant.url}${route}`, {
        method,
        headers: {
            authorization: `Bearer ${await tenant.token()}`,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Reads a policy from the tenant (undefined when it does not exist). */
export async function getPolicy(tenant: TestTenant, identity: string): Promise<Record<string, any> | undefined> {
    const r = await tenantApi(tenant, "GET", `/Skype.Policy/configurations/ClientPolicy/configuration/${encodeURIComponent(identity)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET policy ${identity}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
}

/** The direct client policy assignment of a user (null when none). */
export async function assignmentOf(tenant: TestTenant, user: string): Promise<string | null> {
    const r = await tenantApi(tenant, "GET", `/users/${encodeURIComponent(user)}`);
    if (r.status !== 200) throw new Error(`GET user ${user}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.ClientPolicy ?? null;
}

/** Number of users directly granted a policy (walks every page). */
export async function assignmentCount(tenant: TestTenant, identity: string): Promise<number> {
    let route: string | undefined = `/Skype.Policy/configurations/ClientPolicy/configuration/${encodeURIComponent(identity)}/assignments?$top=1000`;
    let n = 0;
    while (route) {
        const r = await tenantApi(tenant, "GET", route);
        if (r.status !== 200) throw new Error(`GET assignments ${identity}: ${r.status} ${JSON.stringify(r.json)}`);
        n += r.json.value.length;
        const next: string | undefined = r.json["@nextLink"];
        route = next ? next.replace(/^https?:\/\/[^/]+/, "") : undefined;
    }
    return n;
}

/** The raw text of a stack's state file on its file backend. */
export function readStateFile(stack: ExampleStack, projectName: string): string {
    return fs.readFileSync(stateFile(stack.backendDir, projectName, stack.stack.name), "utf8");
}
