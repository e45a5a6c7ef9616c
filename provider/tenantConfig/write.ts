/** Writing a declaration as config-repo YAML (`clientpolicy export` and `clientpolicy convert` use it). */
import { Document, Scalar, visit } from "yaml";
import { settingsByProperty } from "../../api/catalogue";
import { FileDeclaration, TenantDeclaration } from "./schema";

/** Options of {@link writeTenantYaml}. */
export interface WriteOptions {
    /** Comment lines written at the top (without `#`), e.g. where and when the declaration came from. */
    header?: readonly string[];
}

/**
 * Serializes a declaration (or a tenant file with `remove`) as config-repo YAML that {@link parseConfigFile} reads back
 * to the same declaration: policies (identity, description, adopt, settings in catalogue order), grants (policy,
 * users, adopt), then `remove`. Optional fields are written only when set.
 */
export function writeTenantYaml(declaration: TenantDeclaration | FileDeclaration, options: WriteOptions = {}): string {
    const order = [...settingsByProperty().keys()];
    const rank = new Map(order.map((k, i) => [k, i]));
    const out: Record<string, unknown> = {};
    out.policies = declaration.policies.map((p) => {
        const item: Record<string, unknown> = { identity: p.identity };
        if (p.description !== undefined) item.description = p.description;
        if (p.adopt !== undefined) item.adopt = p.adopt;
        const keys = Object.keys(p.settings).sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9) || a.localeCompare(b));
        item.settings = Object.fromEntries(keys.map((k) => [k, p.settings[k]]));
        return item;
    });
    out.grants = declaration.grants.map((g) => {
        const item: Record<string, unknown> = { policy: g.policy, users: [...g.users] };
        if (g.adopt !== undefined) item.adopt = g.adopt;
        return item;
    });
    const remove = (declaration as FileDeclaration).remove;
    if (remove && (remove.policies.length || remove.grants.length)) {
        out.remove = {
            ...(remove.policies.length ? { policies: [...remove.policies] } : {}),
            ...(remove.grants.length ? { grants: [...remove.grants] } : {}),
        };
    }
    const doc = new Document(out);
    // Quote strings that YAML 1.1 readers would take for something else (`00:30:00` is a base-60 number there).
    visit(doc, {
        Scalar(_key, node) {
            if (typeof node.value === "string" && /^[\d:.+-]+$/.test(node.value)) node.type = Scalar.QUOTE_DOUBLE;
        },
    });
    if (options.header?.length) doc.commentBefore = options.header.map((l) => ` ${l}`).join("\n");
    return doc.toString({ lineWidth: 0 });
}
