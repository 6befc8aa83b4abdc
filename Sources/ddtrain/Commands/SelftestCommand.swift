/// `ddtrain selftest <part>`: multi-process checks that the test suite runs under mpirun.
let selftestCommand = commandWithSubcommands(
    name: "selftest", summary: "multi-process self-checks run by the test suite under mpirun",
    parts: [selftestCollectivesPart, selftestFailPart, selftestExchangePart, selftestGradientPart])
