/**
 * The config repo as a library: `baseline.yaml` (the fleet standard) + `tenants/<stack>.yaml` (one tenant's
 * overrides, additions and removals) → one validated, merged {@link TenantDeclaration}, which `TenantPolicies` turns
 * into resources and `clientpolicy config show` prints. {@link writeTenantYaml} writes the same format
 * (`clientpolicy export` and `clientpolicy convert` use it). Format and merge rules: docs/config-repo.md.
 *
 * ```ts
 * const { declaration } = loadTenantDeclaration({ baseline: "baseline.yaml", tenant: `tenants/${pulumi.getStack()}.yaml` });
 * new TenantPolicies("tenant", { declaration });
 * ```
 */
export * from "./schema";
export * from "./parse";
export * from "./load";
export * from "./write";
export { mergeDeclarations } from "./merge";
export type { ItemOrigin, ItemProvenance, MergeProblem, MergeResult } from "./merge";
