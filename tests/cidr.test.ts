import { strict as assert } from "assert";
import { formatCidr, isAligned, layout, overlaps, parseCidr, subnet, zoneIndex } from "../components/network/cidr";

describe("cidr: IPv4 range arithmetic", () => {
    describe("parseCidr / formatCidr", () => {
        const valid: [string, number, number][] = [
            ["0.0.0.0/0", 0, 0],
            ["10.16.0.0/16", 0x0a100000, 16],
            ["255.255.255.255/32", 0xffffffff, 32],
            ["172.20.0.1/32", 0xac140001, 32],
        ];
        for (const [text, base, prefix] of valid) {
            it(`${text} -> base ${base}, /${prefix}, and back`, () => {
                assert.deepEqual(parseCidr(text), { base, prefix });
                assert.equal(formatCidr({ base, prefix }), text);
            });
        }
        for (const bad of ["10.0.0.0", "10.0.0/16", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0/-1", " 10.0.0.0/16", "a.b.c.d/8", "10.0.0.0/16/1"]) {
            it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseCidr(bad), undefined));
        }
    });

    describe("isAligned", () => {
        const cases: [string, boolean][] = [
            ["10.16.0.0/16", true],
            ["10.16.1.0/16", false],
            ["10.16.32.0/28", true],
            ["10.16.32.8/28", false],
            ["10.16.32.16/28", true],
            ["1.2.3.4/0", true],
            ["1.2.3.5/32", true],
        ];
        for (const [text, aligned] of cases) it(`${text}: ${aligned ? "aligned" : "not aligned"}`, () => assert.equal(isAligned(parseCidr(text)!), aligned));
    });

    describe("overlaps", () => {
        const cases: [string, string, boolean][] = [
            ["10.16.0.0/16", "10.16.0.0/16", true],
            ["10.16.0.0/16", "10.17.0.0/16", false],
            ["10.16.0.0/16", "10.16.255.0/24", true],
            ["10.0.0.0/8", "10.200.0.0/16", true],
            ["10.16.0.0/20", "10.16.16.0/20", false],
            ["0.0.0.0/0", "192.168.0.0/16", true],
            ["255.255.255.255/32", "255.255.255.254/31", true],
            ["255.255.255.254/32", "255.255.255.255/32", false],
        ];
        for (const [a, b, want] of cases) {
            it(`${a} and ${b}: ${want ? "overlap" : "disjoint"} (both orders)`, () => {
                assert.equal(overlaps(parseCidr(a)!, parseCidr(b)!), want);
                assert.equal(overlaps(parseCidr(b)!, parseCidr(a)!), want);
            });
        }
    });

    describe("subnet", () => {
        const cases: [string, number, number, string][] = [
            ["10.16.0.0/16", 20, 0, "10.16.0.0/20"],
            ["10.16.0.0/16", 20, 15, "10.16.240.0/20"],
            ["10.16.0.0/16", 17, 1, "10.16.128.0/17"],
            ["10.16.0.0/16", 16, 0, "10.16.0.0/16"],
            ["10.16.0.0/16", 28, 512, "10.16.32.0/28"],
            ["10.16.0.0/16", 22, 53, "10.16.212.0/22"],
        ];
        for (const [c, p, i, want] of cases) it(`${c} /${p} #${i} = ${want}`, () => assert.equal(subnet(c, p, i), want));

        const bad: [string, number, number, RegExp][] = [
            ["10.16.0.0/16", 20, 16, /10\.16\.0\.0\/16 has no \/20 #16/],
            ["10.16.0.0/16", 15, 0, /cannot carve \/15 #0 out of 10\.16\.0\.0\/16/],
            ["not-a-cidr", 20, 0, /cannot carve \/20 #0 out of not-a-cidr/],
        ];
        for (const [c, p, i, msg] of bad) it(`${c} /${p} #${i} throws ${msg}`, () => assert.throws(() => subnet(c, p, i), msg));
    });

    describe("zoneIndex", () => {
        for (const [zone, i] of [["us-east-1a", 0], ["us-east-1f", 5], ["eu-west-3c", 2]] as const) it(`${zone} -> ${i}`, () => assert.equal(zoneIndex(zone), i));
        it("refuses a zone letter past f, naming the zone", () => assert.throws(() => zoneIndex("us-east-1g"), /us-east-1g does not end in one of abcdef/));
    });

    describe("layout of a region's /16", () => {
        const region = "10.32.0.0/16";
        const zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];
        const ranges = [
            ["gke nodes", layout.gkeNodes(region)],
            ["gke services", layout.gkeServices(region)],
            ["gke pods", layout.gkePods(region)],
            ["gke control plane", layout.gkeMasterIpv4(region)],
        ];
        const aws = zones.flatMap((z) => [
            [`private ${z}`, layout.awsPrivate(region, z)],
            [`data center ${z}`, layout.awsDataCenter(region, z)],
            [`public ${z}`, layout.awsPublic(region, z)],
        ]);

        it("places the GKE ranges where the layout says", () =>
            assert.deepEqual(ranges.map(([, c]) => c), ["10.32.0.0/20", "10.32.16.0/20", "10.32.128.0/17", "10.32.32.0/28"]));

        it("gives every range of one cloud its own block, inside the /16", () => {
            for (const set of [ranges, aws]) {
                for (const [name, c] of set) assert.ok(overlaps(parseCidr(c)!, parseCidr(region)!) && parseCidr(c)!.prefix >= 16, `${name} ${c} inside ${region}`);
                for (let i = 0; i < set.length; i++)
                    for (let j = i + 1; j < set.length; j++)
                        assert.ok(!overlaps(parseCidr(set[i][1])!, parseCidr(set[j][1])!), `${set[i][0]} ${set[i][1]} overlaps ${set[j][0]} ${set[j][1]}`);
            }
        });

        it("keeps a zone's AWS subnets where they are when other zones come and go", () => {
            assert.equal(layout.awsPrivate(region, "us-east-1c"), "10.32.32.0/20");
            assert.equal(layout.awsDataCenter(region, "us-east-1c"), "10.32.128.0/20");
            assert.equal(layout.awsPublic(region, "us-east-1c"), "10.32.200.0/22");
        });
    });
});
