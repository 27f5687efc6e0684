import type * as pulumi from "@pulumi/pulumi";

/**
 * Options of a cluster component's children: under the component, each aliased to the parent it
 * had before the component existed (the component's own parent, the tier), so that grouping the
 * resources under the component renames them and replaces nothing.
 */
export function childOptions(self: pulumi.Resource, opts?: pulumi.ComponentResourceOptions): { parent: pulumi.Resource; aliases: pulumi.Input<pulumi.Alias>[] } {
    return { parent: self, aliases: opts?.parent ? [{ parent: opts.parent }] : [] };
}
