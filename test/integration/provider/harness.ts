/**
 * Drives the provider objects the way the Pulumi dynamic-provider host does (configure → check → diff →
 * create/update/delete, read on refresh) against a real emulator, without the CLI.
 */
import * as assert from "node:assert/strict";
import type * as dynamic from "@pulumi/pulumi/dynamic";
// What the dynamic-provider host does with every result: it throws on `undefined` members, so the harness does too.
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import { clientPolicyProvider, policyGrantProvider } from "../../../provider";
import { setClientOverridesForTesting } from "../../../provider/runtime";
import { backendNamed, DEFAULT_BACKEND, TEST_BACKENDS, type BackendName } from "../../../testkit/backends";
import type { TestEmulatorOptions, TestTenant } from "../../../testkit/emulator";
import { call, policyPath, userPath } from "../../../testkit/tenantApi";

export { clientPolicyProvider, policyGrantProvider };

let backend: BackendName = backendNamed(process.env.CLIENTPOLICY_TEST_BACKEND ?? DEFAULT_BACKEND);

/** Chooses the backend of the suites registered and run from now on (test/integration/provider/backends.test.ts). */
export function useBackend(name: BackendName): void {
    backend = name;
}

/**
 * The backend the provider suites run against, from the registry (testkit/backends.ts): the default, the one
 * `CLIENTPOLICY_TEST_BACKEND` names, or the one chosen with {@link useBackend}. test/integration/provider/backends.test.ts
 * registers these suites again for every other backend. The assertions are the same for all.
 */
export async function startTestBackend(opts: TestEmulatorOptions = {}): Promise<TestTenant> {
    return TEST_BACKENDS[backend].start(opts);
}

/** Which backend {@link startTestBackend} starts, for suite titles. */
export function backendName(): string {
    return TEST_BACKENDS[backend].title;
}

/** What the host passes as `__provider`; our providers must ignore it. */
const PROVIDER_TEXT = "exports.handler = () => require('clientpolicy-as-code/dist/provider/resources/x.provider.js');";

/** Round-trips a result through a protobuf Struct, as the host does before answering the engine. */
export function viaHost<T>(value: T): T {
    if (value === undefined) return value;
    return structproto.Struct.fromJavaScript(value as never).toJavaScript() as T;
}

/** A config object shaped like the SDK's (`get` of namespaced keys). */
export function stackConfig(values: Record<string, string>): dynamic.Config {
    return {
        get: (key) => values[key],
        require: (key) => { if (values[key] === undefined) throw new Error(`missing ${key}`); return values[key]; },
    };
}

/** Configures both providers for a test tenant, with short backoff so retries do not slow the suite. */
export async function configureFor(t: TestTenant, extra: Record<string, string> = {}): Promise<void> {
    setClientOverridesForTesting({ retry: { baseDelayMs: 10, maxDelayMs: 200 }, batchPollStartMs: 20 });
    const config = stackConfig({
        "clientpolicy:endpoint": t.url, "clientpolicy:tenantId": t.tenantId,
        "clientpolicy:clientId": t.clientId, "clientpolicy:clientSecret": t.clientSecret, ...extra,
    });
    await clientPolicyProvider.configure!({ config });
    await policyGrantProvider.configure!({ config });
}

/** One resource's state as the engine keeps it. */
export interface ResourceState {
    id: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
}

/** check(); fails the test on check failures. */
export async function checked(provider: dynamic.ResourceProvider, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const res = await provider.check!(olds, { ...news, __provider: PROVIDER_TEXT });
    assert.deepEqual(res.failures ?? [], [], "check failures");
    return viaHost(res.inputs) as Record<string, unknown>;
}

/** An engine step for one resource: create, or diff then update/replace. Returns the new state and what happened. */
export async function up(provider: dynamic.ResourceProvider, state: ResourceState | undefined, news: Record<string, unknown>):
    Promise<{ state: ResourceState; action: "create" | "update" | "replace" | "same" }> {
    const inputs = await checked(provider, state?.inputs ?? {}, news);
    if (!state) {
        const res = await provider.create(withProvider(inputs));
        return { state: { id: res.id, inputs, outputs: viaHost(res.outs) }, action: "create" };
    }
    const d = await provider.diff!(state.id, state.outputs, withProvider(inputs));
    if (!d.changes) return { state: { ...state, inputs }, action: "same" };
    if (d.replaces && d.replaces.length > 0) {
        const res = await provider.create(withProvider(inputs));
        await provider.delete!(state.id, state.outputs);
        return { state: { id: res.id, inputs, outputs: viaHost(res.outs) }, action: "replace" };
    }
    const res = await provider.update!(state.id, state.outputs, withProvider(inputs));
    return { state: { id: state.id, inputs, outputs: viaHost(res.outs) }, action: "update" };
}

/** `pulumi refresh` of one resource: undefined when read says it is gone. */
export async function refresh(provider: dynamic.ResourceProvider, state: ResourceState): Promise<ResourceState | undefined> {
    const res = await provider.read!(state.id, state.outputs);
    if (!res.id) return undefined;
    return { id: res.id, inputs: viaHost(res.inputs) ?? state.inputs, outputs: viaHost(res.props) };
}

/** diff() of the current program against state: the changed flag and replaces. */
export async function preview(provider: dynamic.ResourceProvider, state: ResourceState, news: Record<string, unknown>) {
    const inputs = await checked(provider, state.inputs, news);
    return provider.diff!(state.id, state.outputs, withProvider(inputs));
}

function withProvider(inputs: Record<string, unknown>): Record<string, unknown> {
    return { ...inputs, __provider: PROVIDER_TEXT };
}

/** GET a policy straight from the emulator (bypassing the provider). */
export async function tenantPolicy(t: TestTenant, identity: string): Promise<Record<string, unknown>> {
    const res = await call(t, "GET", policyPath(identity));
    assert.equal(res.status, 200, `GET ${identity}`);
    return res.json as Record<string, unknown>;
}

/** GET a user straight from the emulator. */
export async function tenantUser(t: TestTenant, identity: string): Promise<Record<string, unknown>> {
    const res = await call(t, "GET", userPath(identity));
    assert.equal(res.status, 200, `GET user ${identity}`);
    return res.json as Record<string, unknown>;
}
