// `lux/testing`: the test utilities of @lux/testing (LocalCluster). A separate package, so
// that `tsc -b` builds lux before testing (testing depends on lux).
export * from "@lux/testing";
