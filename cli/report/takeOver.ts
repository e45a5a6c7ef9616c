/**
 * Creates that take over an object the tenant already has, reported as what `pulumi up` changes in the tenant.
 *
 * The engine plans a `create` for every ClientPolicy new to the stack. Global always exists, and a site or tag policy
 * declared with `adopt: true` may exist too: the provider's create then reads it and replaces its settings with the
 * declared ones, so a setting the tenant has and the program does not declare becomes unset
 * (provider/resources/clientPolicy.provider.ts `create`). Shown as a create ("`Global` created, with …", before `—`),
 * that plan would hide every value `up` overwrites or unsets. Here such a change becomes an `update` marked
 * `takeOver`: each property is the tenant's value → the code's, and an undeclared setting the tenant has is listed
 * with no `after` (unset), unless it holds its documented default (unset, it takes that default: nothing changes for
 * a user).
 */
import { settingsByProperty } from "../../api/catalogue";
import { unsetKeepsValue } from "../../api/effective";
import { isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { NOT_READ, type Change } from "../../api/report";
import type { WirePolicy } from "../../api/contract";
import { outputsFromWire } from "../../provider/resources/clientPolicy.model";
import { diffProperties } from "./changes";

/** The settings of a property bag (catalogue properties only: no identity, owner, adopt or bookkeeping). */
function settingsOf(bag: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const catalogue = settingsByProperty();
    return Object.fromEntries(Object.entries(bag).filter(([key, value]) => catalogue.has(key) && value !== undefined));
}

/** A ClientPolicy create the code plans (not an unmanaged policy found in the tenant), with a known identity. */
function isPolicyCreate(c: Change): boolean {
    return c.type === "ClientPolicy" && c.op === "create" && c.kind === "pending" && c.identity !== null;
}

/**
 * `changes` with each pending ClientPolicy create whose policy exists in the tenant turned into the take-over it is.
 * Reads the tenant's policies once (`listPolicies`, every page), and only when a ClientPolicy is being created.
 *
 * @param listPolicies the tenant's policies in wire form (the tenant API's `GET /policies`, every page).
 * @throws what `listPolicies` throws (the caller reports the tenant as unreadable: the plan would be unverified).
 */
export async function withTakeOvers(changes: readonly Change[], listPolicies: () => Promise<WirePolicy[]>): Promise<Change[]> {
    if (!changes.some(isPolicyCreate)) return [...changes];
    const live = new Map<string, WirePolicy>();
    for (const p of await listPolicies()) {
        const id = parsePolicyIdentity(p.Identity);
        if (!isIdentityError(id)) live.set(id.key, p);
    }
    return changes.map((c) => {
        if (!isPolicyCreate(c)) return c;
        const id = parsePolicyIdentity(c.identity);
        const existing = isIdentityError(id) ? undefined : live.get(id.key);
        if (!existing) return c;
        const code = settingsOf(Object.fromEntries(c.properties.map((p) => [p.path, p.after])));
        // Unsetting a setting that holds its documented default changes nothing a user gets (api/effective.ts rule 2:
        // an unset setting takes the client's default), so it is not listed; a fresh tenant's Global holds several.
        const tenant = Object.fromEntries(Object.entries(settingsOf(outputsFromWire(existing, "") as unknown as Record<string, unknown>))
            .filter(([key]) => {
                const def = settingsByProperty().get(key)!;
                return key in code || !unsetKeepsValue(def, existing[def.name]);
            }));
        return { ...c, op: "update" as const, takeOver: true, properties: diffProperties(tenant, code, "pending") };
    });
}

/**
 * `changes` with each pending create of Global (which every tenant has) turned into a take-over whose tenant values
 * are unknown: `before` is {@link NOT_READ} for every declared setting, and the settings it would unset are unknown
 * (the caller says why the tenant was not read). Other creates stay creates: whether an adopted policy exists is
 * unknown too.
 */
export function unreadTakeOvers(changes: readonly Change[]): Change[] {
    return changes.map((c) => {
        if (!isPolicyCreate(c)) return c;
        const id = parsePolicyIdentity(c.identity);
        if (isIdentityError(id) || id.scope !== "global") return c;
        const code = settingsOf(Object.fromEntries(c.properties.map((p) => [p.path, p.after])));
        const properties = Object.keys(code).sort().map((path) => ({ path, before: NOT_READ, after: code[path], kind: "pending" as const }));
        return { ...c, op: "update" as const, takeOver: true, properties };
    });
}
