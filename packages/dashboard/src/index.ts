/** The head's HTTP server: dashboard, state routes and jobs API on one port, behind the cluster token. */
export { createDashboardServer, type DashboardServerOptions } from "./server.js";
export { DashboardAuth, SESSION_COOKIE, cookieValue } from "./auth.js";
export { registerStateRoutes, type StateSource } from "./state-routes.js";
export { registerJobRoutes, type JobsSource } from "./jobs/job-routes.js";
export { registerLogRoutes, type LogsSource } from "./log-routes.js";
export { JobManager, type JobManagerOptions } from "./jobs/job-manager.js";
export { JOBS_NAMESPACE } from "./jobs/job-keys.js";
