import { strict as assert } from "assert";
import { createPrivateKey } from "crypto";
import { toPlan } from "../../engine/plan";
import type { GraphIndex } from "../../engine/graph";
import { isSecret, plainStrings } from "../../engine/values";
import { STACKS, stackGraph } from "../support/stacks";

/** Every string held inside a secret anywhere in the graph (inputs, outputs, stack outputs). */
function secretStrings(g: GraphIndex): Set<string> {
    const found = new Set<string>();
    const walk = (v: unknown, inSecret: boolean) => {
        if (isSecret(v)) return walk(v.value, true);
        if (typeof v === "string" && inSecret && v.length >= 16) found.add(v);
        if (Array.isArray(v)) v.forEach((x) => walk(x, inSecret));
        else if (typeof v === "object" && v !== null) Object.values(v).forEach((x) => walk(x, inSecret));
    };
    for (const r of g.resources) {
        walk(r.inputs, false);
        walk(r.outputs, false);
    }
    return found;
}

/**
 * What identifies a secret value: the body lines of private-key PEM blocks (certificates bundled into
 * a secret stay public material), or the whole value for anything else (gossip keys, kubeconfigs).
 */
function fingerprints(s: string): string[] {
    if (!s.includes("-----BEGIN")) return [s];
    const blocks = [...s.matchAll(/-----BEGIN ([A-Z ]+PRIVATE KEY)-----\n([\s\S]*?)\n-----END/g)];
    // A real EC key's PEM also embeds its public point, which certificates and the public key show:
    // the secret is the private scalar (in any encoding) and the PEM's first line, which holds it.
    return blocks.flatMap((b) => {
        const d = Buffer.from(String(createPrivateKey(b[0] + " " + b[1] + "-----\n").export({ format: "jwk" }).d), "base64url");
        return [d.toString("base64"), d.toString("base64url"), d.toString("hex"), b[2].split("\n")[0]];
    });
}

describe("secrets never leak", () => {
    for (const stack of STACKS) {
        describe(stack, () => {
            it("marks every private key, gossip key, kubeconfig and token secret from creation to stack output", async () => {
                const g = await stackGraph(stack);
                for (const k of g.ofType("tls:index/privateKey:PrivateKey")) assert.ok(isSecret(k.outputs.privateKeyPem), `${k.name}.privateKeyPem`);
                for (const b of g.ofType("random:index/randomBytes:RandomBytes")) assert.ok(isSecret(b.outputs.base64), `${b.name}.base64`);
                for (const p of g.ofType("pulumi:providers:kubernetes")) assert.ok(isSecret(p.inputs.kubeconfig), `${p.name}.kubeconfig`);
                for (const s of g.ofType("kubernetes:core/v1:Secret")) {
                    const data = (s.inputs.stringData ?? s.inputs.data) as Record<string, unknown> | undefined;
                    assert.ok(data, `${s.name} has data`);
                    assert.ok(isSecret(data) || Object.values(data).every(isSecret), `${s.name} data is secret`);
                }
                const walkOutputs = (v: unknown, at: string) => {
                    if (isSecret(v)) return;
                    if (/kubeconfig|key|token|password/i.test(at.split(".").pop() ?? "")) assert.fail(`stack output ${at} is not secret`);
                    if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walkOutputs(x, at ? `${at}.${k}` : k);
                };
                walkOutputs(g.graph.outputs, "");
            });

            it("never shows secret material in any plain input, output or stack output", async () => {
                const g = await stackGraph(stack);
                const secrets = [...secretStrings(g)].flatMap(fingerprints);
                assert.ok(secrets.length > 0, "the graph holds secrets to look for");
                const needles = new Set(secrets);
                for (const r of g.resources) {
                    for (const s of [...plainStrings(r.inputs, "inputs"), ...plainStrings(r.outputs, "outputs")]) {
                        for (const needle of needles) assert.ok(!s.value.includes(needle), `${r.urn} ${s.path} shows secret material`);
                        assert.ok(!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s.value), `${r.urn} ${s.path} holds a private key`);
                    }
                }
            });

            it("writes a plan.json with no secret material", async () => {
                const g = await stackGraph(stack);
                const text = JSON.stringify(toPlan(g));
                for (const line of new Set([...secretStrings(g)].flatMap(fingerprints))) assert.ok(!text.includes(line), `plan.json contains ${line.slice(0, 12)}…`);
                assert.ok(text.includes('"[secret]"'));
            });

            it("creates no service account key anywhere", async () => {
                const g = await stackGraph(stack);
                assert.deepEqual(g.resources.filter((r) => /serviceaccount\/key:Key|iam\/accessKey:AccessKey/.test(r.type)).map((r) => r.urn), []);
            });
        });
    }
});
