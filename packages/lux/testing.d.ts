export * from "@lux/testing";
