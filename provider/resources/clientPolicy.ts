/**
 * The `ClientPolicy` resource class and its args: what a program declares. It runs in the user's program; the provider
 * that Pulumi runs for it (check, diff, CRUD) is clientPolicy.provider.ts, and the model both share (typed inputs and
 * state, wire mapping, diff rules) is clientPolicy.model.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { settingsByProperty } from "../../api/catalogue";
import { declareInProgram, declaredLater, ownerId } from "../ownership";
import { ClientPolicySettingOutputs, ClientPolicySettings } from "../settings";
import { DECLARATION_PROBLEM, DeclarationProblem } from "../checkInputs";
import { MODULE, TYPE } from "./clientPolicy.model";
import { stackInstance } from "./stackInstance";

export { MODULE, TYPE };

/** Why a flagged setting deserves a warning. */
export const STATUS_REASONS: Readonly<Record<string, string>> = {
    deprecated: "is deprecated for Skype for Business Server and may be ignored by clients",
    reserved: "is reserved for internal Microsoft use",
    noEffect: "is documented as having no effect on the client",
    legacy: "only affects Lync Server 2010 clients",
};

// ---------------------------------------------------------------- class and args

type Inputs<T> = { [K in keyof T]?: pulumi.Input<NonNullable<T[K]>> };

/** Inputs of a {@link ClientPolicy}: the identity, every catalogue setting (camelCase) and two control flags. */
export type ClientPolicyArgs = Inputs<ClientPolicySettings> & {
    /** `Global`, `site:<name>`, `Tag:<name>` or a bare per-user policy name. Changing it (other than case) replaces. */
    identity: pulumi.Input<string>;
    /**
     * Take over a policy that already exists, or that another resource or stack owns (its settings are replaced by the
     * declared ones, and its owner becomes this resource). Without it, creating an existing tag or site policy, or one
     * owned by someone else, fails before any write. `pulumi import` does not work for dynamic resources; this is the
     * way in.
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
 * Global to its documented defaults. Settings not declared are unset in the tenant. The policy records this resource
 * (`project/stack/name`) as its owner; see docs/ownership.md.
 */
export class ClientPolicy extends pulumi.dynamic.Resource {
    /** Canonical identity as the tenant reports it: `Global`, `site:<name>` or `Tag:<name>`. */
    declare public readonly identity: pulumi.Output<string>;
    /** The name to grant (`OfflineIM` for `Tag:OfflineIM`); the identity for Global and site policies. */
    declare public readonly policyName: pulumi.Output<string>;
    /** ETag of the last write or read; guards the next write. */
    declare public readonly etag: pulumi.Output<string>;
    /** This resource's owner id, `project/stack/resource`, recorded on the policy in the tenant. */
    declare public readonly owner: pulumi.Output<string>;
    /** For Global only: what deleting this resource does. */
    declare public readonly onDelete: pulumi.Output<string | undefined>;
    /** With `adopt: true`, the changes adopting the existing policy will make (shown in preview). */
    declare public readonly adoptChanges: pulumi.Output<string[] | undefined>;
    declare public readonly adopt: pulumi.Output<boolean | undefined>;
    declare public readonly forceDeleteWhenGranted: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: ClientPolicyArgs, opts?: pulumi.CustomResourceOptions) {
        // Problems only the program can see are reported by check() (see DECLARATION_PROBLEM), not thrown here.
        let problem: DeclarationProblem | Promise<DeclarationProblem | undefined> | undefined;
        const identity = typeof args.identity === "string" ? parsePolicyIdentity(args.identity) : undefined;
        if (identity && !isIdentityError(identity)) {
            const key = `policy:${identity.key}`;
            const clash = (a: string, b: string): DeclarationProblem => ({ property: "identity", reason: `ClientPolicy "${a}" and ClientPolicy "${b}" ` +
                `both declare ${identity.canonical}; a tenant object must be declared once (identities are compared case-insensitively, "Tag:" optional)` });
            const other = declareInProgram(key, name);
            problem = other !== undefined ? clash(name, other) : declaredLater([key], name).then((later) => (later ? clash(later.other, name) : undefined));
        }
        if (opts?.import !== undefined) {
            problem = { property: "", reason: `ClientPolicy "${name}": the \`import\` resource option does not work for dynamic resources ` +
                `(pulumi/pulumi#16175). Remove it and set \`adopt: true\` on this ClientPolicy instead: the first \`pulumi up\` ` +
                `takes the existing policy over (the preview lists what changes as adoptChanges).` };
            opts = { ...opts, import: undefined };
        }
        // Only the outputs every policy has, plus the settings the program declares, are registered: each registered
        // property costs Pulumi several promises and a captured stack. Undeclared settings are prototype getters.
        const props: Record<string, unknown> = {
            policyName: undefined, etag: undefined, onDelete: undefined, adoptChanges: undefined,
            ...args, owner: ownerId(pulumi.getProject(), pulumi.getStack(), name), stackInstance: stackInstance(),
            ...(problem ? { [DECLARATION_PROBLEM]: problem } : {}),
        };
        super(require("./clientPolicy.provider"), name, props, opts, MODULE, TYPE);
        // Notices are not attached to `this`: a resource-attached log waits on the resource's URN, and when an
        // Automation API run fails before that URN settles, the SDK's process-wide log chain stays blocked and
        // every later in-process run hangs. The resource name goes into the text instead.
        for (const message of clientPolicyNotices(args)) pulumi.log.warn(`ClientPolicy "${name}": ${message}`);
    }
}

/**
 * Undeclared settings: every write is a full-state PUT, so after this resource is deployed a setting the program does
 * not declare is unset in the tenant. Its output is `undefined`, known once the resource is (it depends on the ETag).
 * A program's own assignment (Pulumi registering a declared setting) replaces the getter with a plain property.
 */
for (const key of settingsByProperty().keys()) {
    Object.defineProperty(ClientPolicy.prototype, key, {
        configurable: true,
        get(this: ClientPolicy) {
            return this.etag.apply(() => undefined);
        },
        set(this: ClientPolicy, value: unknown) {
            Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
        },
    });
}

/**
 * Warnings for declared settings that are deprecated, reserved, without effect or legacy-only: accepted and sent as
 * declared, but never silently.
 */
export function clientPolicyNotices(args: Record<string, unknown>): string[] {
    const notices: string[] = [];
    for (const [key, value] of Object.entries(args)) {
        if (value === undefined) continue;
        const def = settingsByProperty().get(key);
        if (def?.status) notices.push(`${key} ${STATUS_REASONS[def.status]}; it is still applied as declared`);
    }
    return notices;
}
