// N tag policies with three settings each: the program side of up-1000, preview-noop-1000 and refresh-1000.
// Its baseline is ../noop-1000, which declares the same names and inputs on a no-op dynamic provider.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

const count = new pulumi.Config("bench").getNumber("count") ?? 1000;
for (let i = 0; i < count; i++) {
    new cp.ClientPolicy(`p${i}`, { identity: `Tag:Bench${i}`, enableIMAutoArchiving: false, maximumNumberOfContacts: 100 + (i % 900) });
}
