// The offline-IM article as code.
//
// The PowerShell way:
//   Set-CsClientPolicy -Identity Global -EnableIMAutoArchiving $False
//   New-CsClientPolicy -Identity OfflineIM
//   Set-CsClientPolicy -Identity OfflineIM -EnableIMAutoArchiving $False
//   Grant-CsClientPolicy -Identity "Tony Smith" -PolicyName OfflineIM
//
// The same, declared. `pulumi preview --diff` shows what would change,
// `pulumi up` makes the tenant match, `pulumi refresh` shows what someone
// changed by hand since, and `pulumi destroy` puts everything back.
//
// The tenant connection comes from stack config, never from code:
//   pulumi config set clientpolicy:endpoint https://…
//   pulumi config set clientpolicy:tenantId contoso.example
//   pulumi config set clientpolicy:clientId demo-client
//   pulumi config set --secret clientpolicy:clientSecret …
import * as cp from "clientpolicy-as-code";

// Offline IM is EnableIMAutoArchiving (true unless set). The Global policy
// always exists: declaring it takes it over, and destroying it resets it.
const global = new cp.ClientPolicy("global", {
    identity: "Global",
    enableIMAutoArchiving: false,
});

// A per-user ("tag") policy for the people who should not have offline IM
// archived either, with a note for the next administrator.
const offlineIM = new cp.ClientPolicy("offline-im", {
    identity: "Tag:OfflineIM",
    enableIMAutoArchiving: false,
    description: "No offline IM archiving",
});

// Grant it. Any identity form works: display name, SIP address, UPN,
// DOMAIN\logon or object id. Deleting this resource unassigns the policy.
const tony = new cp.PolicyGrant("tony-smith", {
    policyName: offlineIM.identity,
    user: "Tony Smith",
});

export const globalArchiving = global.enableIMAutoArchiving;
export const offlinePolicy = offlineIM.identity;
export const grantedTo = tony.resolvedUsers;
