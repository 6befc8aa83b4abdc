import Foundation
import Testing
import TestSupport
@testable import Support

/// Two "hosts" on one machine: two network namespaces joined by a veth pair, each running 2 ranks, with
/// Open MPI talking TCP over the veth. Open MPI starts its daemon on the second host through an rsh agent
/// (a script that runs `ip netns exec NS` where ssh would log in), named with `--mca plm_rsh_agent`.
struct TwoHostNetwork {
    let namespaces: [String]
    let addresses: [String]
    let subnet: String
    let directory: String

    /// Creates the namespaces, the veth pair and the agent script; nil (with the reason printed) where the
    /// kernel or the user may not create namespaces.
    static func create() -> TwoHostNetwork? {
        let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 16)
        let ns = ["ddtA\(tag)", "ddtB\(tag)"]
        let octet = Int.random(in: 16..<240)
        let subnet = "10.231.\(octet).0/24", addrs = ["10.231.\(octet).1", "10.231.\(octet).2"]
        let veth = ["dva\(tag)", "dvb\(tag)"]
        let steps: [[String]] = [
            ["ip", "netns", "add", ns[0]], ["ip", "netns", "add", ns[1]],
            ["ip", "link", "add", veth[0], "type", "veth", "peer", "name", veth[1]],
            ["ip", "link", "set", veth[0], "netns", ns[0]], ["ip", "link", "set", veth[1], "netns", ns[1]],
            ["ip", "-n", ns[0], "addr", "add", addrs[0] + "/24", "dev", veth[0]], ["ip", "-n", ns[1], "addr", "add", addrs[1] + "/24", "dev", veth[1]],
            ["ip", "-n", ns[0], "link", "set", veth[0], "up"], ["ip", "-n", ns[1], "link", "set", veth[1], "up"],
            ["ip", "-n", ns[0], "link", "set", "lo", "up"], ["ip", "-n", ns[1], "link", "set", "lo", "up"],
        ]
        let dir = MPIRunner.temporaryDirectory("rel-hosts")
        let net = TwoHostNetwork(namespaces: ns, addresses: addrs, subnet: subnet, directory: dir)
        for s in steps {
            let res = try? ProcessRunner.run(s, timeout: 20)
            if res?.status != 0 {
                print("skipped: the multi-host test needs network namespaces ('\(s.joined(separator: " "))' failed: "
                      + "\(res?.stderr.trimmingCharacters(in: .whitespacesAndNewlines) ?? "ip not runnable")); run as root on a kernel that allows them")
                net.remove()
                return nil
            }
        }
        let agent = """
        #!/bin/sh
        # Open MPI's rsh agent for the test: "log in" to a host by entering its network namespace.
        host="$1"; shift
        case "$host" in
          \(addrs[0])) ns=\(ns[0]) ;;
          \(addrs[1])) ns=\(ns[1]) ;;
          *) echo "agent: unknown host $host" >&2; exit 1 ;;
        esac
        # A host taken down (takeDown) answers like a machine that is gone.
        [ -e "\(dir)/down-$host" ] && { echo "ssh: connect to host $host port 22: No route to host" >&2; exit 255; }
        exec ip netns exec "$ns" /bin/sh -c "$*"

        """
        try? agent.write(toFile: dir + "/agent.sh", atomically: true, encoding: .utf8)
        chmod(dir + "/agent.sh", 0o755)
        try? "\(addrs[0]) slots=2\n\(addrs[1]) slots=2\n".write(toFile: dir + "/hosts", atomically: true, encoding: .utf8)
        return net
    }

    /// Deletes the namespaces (the veth pair goes with them).
    func remove() {
        for n in namespaces { _ = try? ProcessRunner.run(["ip", "netns", "del", n], timeout: 20) }
    }

    /// Runs `command` as a 4-rank job over both hosts (mpirun itself inside the first namespace), TCP only.
    func mpirun(_ command: [String], timeout: Int = 120) throws -> ProcessResult {
        var env = MPIRunner.baseEnvironment
        env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        let argv = ["ip", "netns", "exec", namespaces[0], "mpirun", "-np", "4", "--hostfile", directory + "/hosts",
                    "--mca", "plm_rsh_agent", directory + "/agent.sh", "--mca", "btl", "tcp,self",
                    "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet,
                    "--bind-to", "none", "--timeout", String(timeout), "-x", "OPENBLAS_NUM_THREADS"] + command
        return try ProcessRunner.run(argv, environment: env, timeout: Double(timeout) + 15)
    }
}

extension ReliabilityTests {
    /// One global step's gradient over two hosts (2 + 2 ranks, TCP) equals the one 4 ranks give on one host
    /// (same data split, so only the reduction order may differ: max |Δ| ≤ 1e-4·max|g| + 1e-7), and the ranks
    /// really ran in two network namespaces, two in each.
    @Test func twoHostsGiveTheGradientsOfOneHost() throws {
        guard let net = TwoHostNetwork.create() else { return }
        defer { net.remove() }
        let where_ = try net.mpirun(["sh", "-c", "echo $OMPI_COMM_WORLD_RANK $(readlink /proc/self/ns/net)"], timeout: 60)
        try #require(where_.status == 0, "the two-host job did not start: \(where_.stderr)")
        let spaces = where_.stdout.split(separator: "\n").map { $0.split(separator: " ") }.filter { $0.count == 2 }.map { String($0[1]) }
        #expect(spaces.count == 4)
        #expect(Set(spaces).count == 2 && Dictionary(grouping: spaces, by: { $0 }).values.allSatisfy { $0.count == 2 },
                "ranks per namespace: \(spaces)")

        let work = MPIRunner.temporaryDirectory("rel-multihost")
        let config = try ReliabilityFixture.writeConfig(in: work)
        for step in [0, 3] {
            let two = work + "/two-\(step)", one = work + "/one-\(step)"
            let args = ["selftest", "gradient", "--config", config, "--step", String(step)]
            let a = try net.mpirun([MPIRunner.binary] + args + ["--out", two])
            try #require(a.status == 0, "two hosts: \(a.stderr)")
            let b = try MPIRunner.mpirun(4, args + ["--out", one], timeout: 120)
            try #require(b.status == 0, "one host: \(b.stderr)")
            let g2 = try floats(two + "/gradient.f32"), g1 = try floats(one + "/gradient.f32")
            try #require(g1.count == g2.count && !g1.isEmpty)
            let scale = g1.map { abs($0) }.max()!
            let diff = zip(g1, g2).map { abs($0 - $1) }.max()!
            #expect(scale > 0)
            #expect(diff <= 1e-4 * scale + 1e-7, "step \(step): two hosts differ from one by \(diff) (scale \(scale))")
            let l2 = try FileIO.readJSON(two + "/gradient.json")["loss"]!.doubleValue!
            let l1 = try FileIO.readJSON(one + "/gradient.json")["loss"]!.doubleValue!
            #expect(abs(l2 - l1) <= 1e-6 * abs(l1))
        }
    }

    /// A little-endian Float32 file.
    func floats(_ path: String) throws -> [Float] {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
