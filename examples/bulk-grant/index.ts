// Bulk grant: one per-user policy for everyone in a CSV export (for example
// from your HR system, Excel or `Get-CsUser | Export-Csv`: users.ts reads them). Adding or removing rows
// and running `pulumi up` assigns or unassigns exactly those users; the grant
// uses the tenant's batch API, 5,000 users per call.
//
// Optional stack config:
//   bulk-grant:csv    path of the CSV file (default: users.csv next to this file)
//   bulk-grant:limit  only grant the first N rows (handy for a trial run)
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";
import { readUsers } from "./users";

const config = new pulumi.Config("bulk-grant");
const csvPath = path.resolve(__dirname, config.get("csv") ?? "users.csv");
const limit = config.getNumber("limit");

const users = readUsers(csvPath);
const selected = limit === undefined ? users : users.slice(0, limit);

const policy = new cp.ClientPolicy("no-offline-im", {
    identity: "Tag:NoOfflineIM",
    description: "Offline IM archiving off; granted from users.csv",
    enableIMAutoArchiving: false,
    disableSavingIM: true,
});

const grant = new cp.PolicyGrant("csv-users", {
    policyName: policy.identity,
    users: selected,
});

export const policyIdentity = policy.identity;
export const grantedCount = grant.resolvedUsers.apply((u) => u.length);
