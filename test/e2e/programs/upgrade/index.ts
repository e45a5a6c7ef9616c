// The upgrade test's program: written for the released package (0.1.0) and run unchanged with the current one. Only
// the inputs of 0.1.0 appear here; the update step changes stack config ("upgrade:maxContacts"), not code.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

const config = new pulumi.Config("upgrade");

const global = new cp.ClientPolicy("global", {
    identity: "Global",
    enableIMAutoArchiving: false,
});

const tag = new cp.ClientPolicy("upgrade-policy", {
    identity: "Tag:UpgradePolicy",
    description: "deployed with 0.1.0",
    enableIMAutoArchiving: false,
    displayPhoto: "PhotosFromADOnly",
    maximumNumberOfContacts: config.getNumber("maxContacts") ?? 250,
});

const grant = new cp.PolicyGrant("tony-smith", {
    policyName: tag.identity,
    users: ["Tony Smith", "sip:user00002@contoso.example"],
});

export const globalArchiving = global.enableIMAutoArchiving;
export const tagIdentity = tag.identity;
export const grantedTo = grant.resolvedUsers;
