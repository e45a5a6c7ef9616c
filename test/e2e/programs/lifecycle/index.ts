// The e2e lifecycle program: every step of the test changes stack config
// (namespace "lifecycle") instead of code, the way a PR edits a value.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

const config = new pulumi.Config("lifecycle");

const global = new cp.ClientPolicy("global", {
    identity: "Global",
    enableIMAutoArchiving: config.getBoolean("archiving") ?? false,
});

const tag = new cp.ClientPolicy("e2e-policy", {
    identity: "Tag:E2EPolicy",
    description: "end-to-end test policy",
    enableIMAutoArchiving: false,
    maximumNumberOfContacts: config.getNumber("maxContacts") ?? 250,
});

const users = config.getObject<string[]>("users") ?? [];
if (users.length > 0) {
    new cp.PolicyGrant("named-users", { policyName: tag.identity, users });
}

const bulk = config.getNumber("bulkCount") ?? 0;
if (bulk > 0) {
    const ids = Array.from({ length: bulk }, (_, i) => `sip:user${String(i + 1).padStart(5, "0")}@contoso.example`);
    new cp.PolicyGrant("bulk-users", { policyName: tag.identity, users: ids });
}

const adoptName = config.get("adoptName");
if (adoptName) {
    new cp.ClientPolicy("adopted", {
        identity: adoptName,
        adopt: config.getBoolean("adopt") ?? false,
        enableIMAutoArchiving: false,
        displayPhoto: "PhotosFromADOnly",
    });
}

export const globalArchiving = global.enableIMAutoArchiving;
export const tagIdentity = tag.identity;
