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
 * `clientpolicy:clientId`, `clientpolicy:clientSecret` (secret). See docs/configuration.md.
 *
 * This module only re-exports: each resource lives under `provider/resources/` (see docs/development.md for the layout).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
// Typed (not a bare require()): the provider object must stay assignable to dynamic.ResourceProvider.
import clientPolicyProviderObject = require("./resources/clientPolicy.provider");

export * from "./errors";
export { CONFIG_KEYS, CONFIG_NAMESPACE } from "./config";
export type { ClientPolicySettings, ClientPolicySettingOutputs, PolicyEntryItem } from "./settings";
export { ClientPolicy, clientPolicyNotices } from "./resources/clientPolicy";
export type { ClientPolicyArgs } from "./resources/clientPolicy";
export { PolicyGrant } from "./resources/policyGrant";
export type { PolicyGrantArgs, ResolvedUser } from "./resources/policyGrant";
export { validateSettings } from "./validate";
export type { SettingsValidation } from "./validate";
export * from "./tenantConfig";
export { TENANT_POLICIES_TYPE, TenantPolicies, tenantItemName } from "./components/tenantPolicies";
export type { TenantChildOptions, TenantPoliciesArgs } from "./components/tenantPolicies";

/**
 * The ClientPolicy provider object (its module's whole `module.exports`). Exported for integration tests and tools
 * that drive the provider directly; programs use {@link ClientPolicy}.
 */
export const clientPolicyProvider: dynamic.ResourceProvider = clientPolicyProviderObject;
/** The PolicyGrant provider object; see {@link clientPolicyProvider}. */
export const policyGrantProvider: dynamic.ResourceProvider = require("./resources/policyGrant.provider");
/** The fleet report's JSON format (`clientpolicy report --format json`, api/report.ts): zod schema and version. Public API. */
export { reportSchema, REPORT_FORMAT_VERSION } from "../api/report";
export type { Report as FleetReport } from "../api/report";
