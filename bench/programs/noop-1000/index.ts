// The baseline of bench/cli-1000.bench.ts: a minimal dynamic provider written the usual way (a class instance in
// the program file, so Pulumi serializes its code into every resource's state), with the same names and inputs as
// ../clientpolicy-1000. It never talks to anything: create echoes its inputs, diff compares them as JSON.
import * as pulumi from "@pulumi/pulumi";

class NoopProvider implements pulumi.dynamic.ResourceProvider {
    async create(inputs: any): Promise<pulumi.dynamic.CreateResult> {
        return { id: inputs.identity, outs: inputs };
    }
    async diff(_id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
        const { __provider: _a, ...o } = olds;
        const { __provider: _b, ...n } = news;
        return { changes: JSON.stringify(o) !== JSON.stringify(n) };
    }
    async update(_id: string, _olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
        return { outs: news };
    }
}

interface NoopArgs {
    identity: pulumi.Input<string>;
    enableIMAutoArchiving?: pulumi.Input<boolean>;
    maximumNumberOfContacts?: pulumi.Input<number>;
}

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, args: NoopArgs, opts?: pulumi.CustomResourceOptions) {
        super(new NoopProvider(), name, args, opts);
    }
}

const count = new pulumi.Config("bench").getNumber("count") ?? 1000;
for (let i = 0; i < count; i++) {
    new Noop(`p${i}`, { identity: `Tag:Bench${i}`, enableIMAutoArchiving: false, maximumNumberOfContacts: 100 + (i % 900) });
}
