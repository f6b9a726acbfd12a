export { Raylet, type RayletOptions } from "./raylet-server.js";
export { ResourcePool, type Allocation } from "./resources.js";
