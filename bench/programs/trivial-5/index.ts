// The floor of bench/report.bench.ts: the smallest useful Pulumi program with the usual dynamic provider (a class
// instance in the program file), five resources, no configuration, never talking to anything. Its plan costs what any
// TypeScript program with a dynamic provider costs per stack: the CLI, the program under ts-node, the provider host.
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
}

class Noop extends pulumi.dynamic.Resource {
    constructor(name: string, args: { identity: pulumi.Input<string>; enabled: pulumi.Input<boolean> }) {
        super(new NoopProvider(), name, args);
    }
}

for (let i = 0; i < 5; i++) new Noop(`p${i}`, { identity: `Tag:Trivial${i}`, enabled: i % 2 === 0 });
