/** The head's HTTP server: dashboard, state routes and jobs API on one port, behind the cluster token. */
export { createDashboardServer, serverRoutes, OPEN_ROUTES, type DashboardServerOptions, type ServerRoute } from "./server.js";
export { createHeadServer, type HeadServer, type HeadServerOptions } from "./head-server.js";
export { allowedHostNames } from "./host-guard.js";
export { DashboardAuth, SESSION_COOKIE, cookieValue } from "./auth.js";
export { registerStateRoutes, type StateSource } from "./state-routes.js";
export { registerJobRoutes, type JobsSource } from "./jobs/job-routes.js";
export { registerLogRoutes, type LogsSource } from "./log-routes.js";
export { JobManager, type JobManagerOptions } from "./jobs/job-manager.js";
export { JOBS_NAMESPACE } from "./jobs/job-keys.js";
