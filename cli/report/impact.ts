/**
 * Impact of a change: how many users it reaches, read from the tenant's assignments with the stack's own provider
 * configuration (the same keys and validation as the provider: provider/config.ts).
 *
 * - A tag policy reaches its assignees (`GET …/configuration/{identity}/assignments`, every page).
 * - Global reaches every user without a per-user policy. The tenant API has no user count, so the report gives the
 *   number of users who have a per-user policy (the sum of every tag policy's assignees) — the users Global does NOT
 *   reach — and words it so.
 */
import { foldIdentity, samePolicy } from "../../api/identity";
import { resolveConfig } from "../../provider/config";
import { TenantClient } from "../../provider/client/tenantClient";
import { publicText } from "./text";
import type { Change, Impact } from "./model";

/** Whether a change's tenant object is a policy whose reach can be counted. */
function target(c: Change): "global" | "tag" | undefined {
    if (c.type !== "ClientPolicy" && c.type !== "PolicyGrant") return undefined;
    const id = c.identity?.replace(/^Tag:/i, "");
    if (!id) return undefined;
    return samePolicy(id, "Global") ? "global" : "tag";
}

/** The tenant client of a stack's configuration (throws the provider's ConfigError naming missing or bad keys). */
export function clientOf(config: Record<string, string>): TenantClient {
    const cfg = resolveConfig({ get: (k) => config[k] }, {});
    return TenantClient.fromConfig(cfg);
}

/** Every policy identity of the tenant (every page), as the tenant spells them. */
export async function listPolicies(client: TenantClient): Promise<string[]> {
    return (await client.listPolicies()).map((p) => p.Identity);
}

/**
 * Adds `impact` to the changes of one tenant that touch Global or a tag policy; reads nothing when none do. A policy
 * being created reaches nobody yet ("new policy"): its assignments are not read.
 */
export async function addImpact(changes: Change[], config: Record<string, string>): Promise<Change[]> {
    const isNew = (c: Change) => c.type === "ClientPolicy" && c.op === "create" && !c.unmanaged && target(c) === "tag";
    changes = changes.map((c) => (isNew(c) ? { ...c, impact: { scope: "tag" as const, users: 0, text: "new policy" } } : c));
    const wanted = changes.filter((c) => c.type === "ClientPolicy" && target(c) && c.op !== "create");
    if (wanted.length === 0) return changes;
    const client = clientOf(config);
    const assignees = new Map<string, Promise<number>>();
    const countOf = (identity: string) => {
        const key = foldIdentity(identity.replace(/^Tag:/i, ""));
        let p = assignees.get(key);
        if (!p) assignees.set(key, (p = client.listAssignments(identity.replace(/^Tag:/i, "")).then((u) => u.length)));
        return p;
    };
    let perUser: Promise<number> | undefined;
    const perUserCount = async () => {
        const ids = (await listPolicies(client)).filter((id) => !samePolicy(id, "Global"));
        let n = 0;
        for (const id of ids) n += await countOf(id);
        return n;
    };
    const out: Change[] = [];
    for (const c of changes) {
        const t = c.type === "ClientPolicy" ? target(c) : undefined;
        if (!t || c.unmanaged || c.impact) {
            out.push(c);
            continue;
        }
        let impact: Impact;
        try {
            if (t === "global") {
                const n = await (perUser ??= perUserCount());
                impact = { scope: "global", users: n, text: `every user except the ${n} with a per-user policy` };
            } else {
                const n = await countOf(c.identity!);
                impact = { scope: "tag", users: n, text: `${n} assigned user${n === 1 ? "" : "s"}` };
            }
        } catch (e) {
            const why = publicText(e instanceof Error ? e.message.split("\n")[0] : String(e));
            impact = { scope: t, users: null, text: `not counted: ${why}` };
        }
        out.push({ ...c, impact });
    }
    return out;
}
