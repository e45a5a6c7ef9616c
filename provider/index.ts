/**
 * clientpolicy-as-code: Pulumi resources for CsClientPolicy client policies and their grants.
 *
 * ```ts
 * import * as cp from "clientpolicy-as-code";
 * const offline = new cp.ClientPolicy("offline-im", { identity: "Tag:OfflineIM", enableIMAutoArchiving: false });
 * new cp.PolicyGrant("tony", { policyName: offline.identity, user: "Tony Smith" });
 * ```
 *
 * Configuration (stack config, or the environment): `clientpolicy:endpoint`, `clientpolicy:tenantId`,
 * `clientpolicy:clientId`, `clientpolicy:clientSecret` (secret). See README.md.
 */
import * as pulumi from "@pulumi/pulumi";
import { SETTINGS_BY_NAME, WIRE_BY_CAMEL } from "../api/catalogue";
import { isIdentityError, parsePolicyIdentity } from "../api/identity";
import * as clientPolicy from "./resources/clientPolicy";
import * as policyGrant from "./resources/policyGrant";
import type { ResolvedUser } from "./resources/policyGrant";
import type { ClientPolicySettingOutputs, ClientPolicySettings } from "./schema";

export * from "./errors";
export { CONFIG_KEYS, CONFIG_NAMESPACE } from "./config";
export type { ClientPolicySettings, ClientPolicySettingOutputs, PolicyEntryItem } from "./schema";
export type { ResolvedUser } from "./resources/policyGrant";

/**
 * The ClientPolicy provider object (its module's whole `module.exports`). Exported for integration tests that drive
 * the provider directly; programs use {@link ClientPolicy}.
 */
export const clientPolicyProvider: pulumi.dynamic.ResourceProvider = require("./resources/clientPolicy.provider");
/** The PolicyGrant provider object; see {@link clientPolicyProvider}. */
export const policyGrantProvider: pulumi.dynamic.ResourceProvider = require("./resources/policyGrant.provider");

type Inputs<T> = { [K in keyof T]?: pulumi.Input<NonNullable<T[K]>> };

/** Inputs of a {@link ClientPolicy}: the identity, every catalogue setting (camelCase) and two control flags. */
export type ClientPolicyArgs = Inputs<ClientPolicySettings> & {
    /** `Global`, `site:<name>`, `Tag:<name>` or a bare per-user policy name. Changing it (other than case) replaces. */
    identity: pulumi.Input<string>;
    /**
     * Take over a tag or site policy that already exists (its settings are replaced by the declared ones). Without it,
     * creating an existing policy fails. `pulumi import` does not work for dynamic resources; this is the way in.
     */
    adopt?: pulumi.Input<boolean>;
    /** Allow deleting this policy while it is still granted to users (their grants are removed too). */
    forceDeleteWhenGranted?: pulumi.Input<boolean>;
};

/** Every setting as an output, `undefined` when unset in the tenant. */
type SettingOutputProperties = { readonly [K in keyof ClientPolicySettingOutputs]-?: pulumi.Output<ClientPolicySettingOutputs[K] | undefined> };

// Declaration merging gives the class one typed output per catalogue setting without listing them twice.
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ClientPolicy extends SettingOutputProperties {}

/**
 * A CsClientPolicy client policy. Creating `Global` takes over the always-existing global policy; deleting it resets
 * Global to its documented defaults. Settings not declared are unset in the tenant.
 */
export class ClientPolicy extends pulumi.dynamic.Resource {
    /** Canonical identity as the tenant reports it: `Global`, `site:<name>` or `Tag:<name>`. */
    declare public readonly identity: pulumi.Output<string>;
    /** The name to grant (`OfflineIM` for `Tag:OfflineIM`); the identity for Global and site policies. */
    declare public readonly policyName: pulumi.Output<string>;
    /** ETag of the last write or read; guards the next write. */
    declare public readonly etag: pulumi.Output<string>;
    /** For Global only: what deleting this resource does. */
    declare public readonly onDelete: pulumi.Output<string | undefined>;
    /** With `adopt: true`, the changes adopting the existing policy will make (shown in preview). */
    declare public readonly adoptChanges: pulumi.Output<string[] | undefined>;
    declare public readonly adopt: pulumi.Output<boolean | undefined>;
    declare public readonly forceDeleteWhenGranted: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: ClientPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        // Every output must be registered (as undefined) to be resolved on the resource object.
        const props: Record<string, unknown> = { policyName: undefined, etag: undefined, onDelete: undefined, adoptChanges: undefined };
        for (const key of WIRE_BY_CAMEL.keys()) props[key] = undefined;
        Object.assign(props, args);
        super(require("./resources/clientPolicy.provider"), name, props, opts, clientPolicy.MODULE, clientPolicy.TYPE);
        // Notices are not attached to `this`: a resource-attached log waits on the resource's URN, and when an
        // Automation API run fails before that URN settles, the SDK's process-wide log chain stays blocked and
        // every later in-process run hangs. The resource name goes into the text instead.
        for (const message of clientPolicyNotices(args)) pulumi.log.warn(`ClientPolicy "${name}": ${message}`);
        const identity = typeof args.identity === "string" ? parsePolicyIdentity(args.identity) : undefined;
        if (identity && !isIdentityError(identity) && identity.scope === "global") {
            pulumi.log.info(`ClientPolicy "${name}": Global always exists: this resource takes it over (settings not ` +
                `declared here become unset); destroying it will ${clientPolicy.GLOBAL_ON_DELETE}`);
        }
    }
}

/**
 * Warnings for declared settings that are deprecated, reserved, without effect or legacy-only: accepted and sent as
 * declared, but never silently.
 */
export function clientPolicyNotices(args: Record<string, unknown>): string[] {
    const notices: string[] = [];
    for (const [key, value] of Object.entries(args)) {
        if (value === undefined) continue;
        const def = SETTINGS_BY_NAME.get(WIRE_BY_CAMEL.get(key) ?? "");
        if (def?.status) notices.push(`${key} ${clientPolicy.STATUS_REASONS[def.status]}; it is still applied as declared`);
    }
    return notices;
}

/** Inputs of a {@link PolicyGrant}: the policy and exactly one of `user` / `users`. */
export interface PolicyGrantArgs {
    /** A per-user policy: `Tag:OfflineIM` or `OfflineIM` (typically `policy.identity`). Changing it re-grants in place. */
    policyName: pulumi.Input<string>;
    /** One user: SIP address, UPN, `DOMAIN\logon`, display name or object id. No wildcards. */
    user?: pulumi.Input<string>;
    /** Many users (any identity forms, thousands are fine: the batch API is used, 5,000 per call). */
    users?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Grants a per-user client policy to users. Adding or removing users assigns or unassigns only the difference;
 * destroying it unassigns the users whose assignment is still this policy.
 */
export class PolicyGrant extends pulumi.dynamic.Resource {
    /** Canonical policy name (without `Tag:`). */
    declare public readonly policyName: pulumi.Output<string>;
    /** The requested user, once granted. */
    declare public readonly user: pulumi.Output<string | undefined>;
    /** The requested users that are granted. */
    declare public readonly users: pulumi.Output<string[] | undefined>;
    /** The granted users as the tenant resolved them. */
    declare public readonly resolvedUsers: pulumi.Output<ResolvedUser[]>;

    constructor(name: string, args: PolicyGrantArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, unknown> = { user: undefined, users: undefined, resolvedUsers: undefined, ...args };
        super(require("./resources/policyGrant.provider"), name, props, opts, policyGrant.MODULE, policyGrant.TYPE);
    }
}
