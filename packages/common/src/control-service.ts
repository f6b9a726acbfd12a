/**
 * The warning a raylet, worker or driver logs when it reconnected to a control service that
 * restarted with in-memory storage: everything it kept is gone.
 */
export function controlServiceStateLost(address: string): string {
  return (
    `the control service at ${address} restarted and LOST ITS STATE (it keeps its tables in memory): ` +
    "actors (detached ones too) and actor names it knew are gone; running tasks go on, connected drivers put back " +
    "their jobs, definitions and the actors they were creating, but getActor() of earlier names fails. Start it with " +
    "--storage redis://HOST:PORT to survive restarts"
  );
}
