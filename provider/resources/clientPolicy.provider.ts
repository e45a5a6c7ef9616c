/**
 * The ClientPolicy dynamic provider object. This module's whole `module.exports` is the provider, so when the package
 * is installed in node_modules Pulumi serializes it as a one-line `require()` of this file instead of walking its
 * closure. Keep it that way: no module-level state here; every method delegates to ./clientPolicy and ../runtime.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as runtime from "../runtime";
import * as impl from "./clientPolicy";

const provider: dynamic.ResourceProvider = {
    configure: (req) => runtime.configure(req),
    check: (olds, news) => impl.check(olds, news),
    diff: (id, olds, news) => impl.diff(id, olds, news),
    create: (inputs) => impl.create(inputs),
    read: (id, props) => impl.read(id, props),
    update: (id, olds, news) => impl.update(id, olds, news),
    delete: (id, props) => impl.remove(id, props),
};

export = provider;
