/**
 * One application in the controller: its deployments (kept, added, removed on redeploy) and
 * its status, the worst of theirs: DEPLOY_FAILED, DELETING, UNHEALTHY, DEPLOYING or RUNNING.
 */
import { DeploymentState, type DeploymentHost } from "./deployment-state.js";
import { deploymentKey, type AppSpec, type ApplicationStatus, type ApplicationStatusInfo } from "./specs.js";

export class ApplicationState {
  readonly deployments = new Map<string, DeploymentState>();
  private deleting = false;
  lastDeployedAt: number;

  constructor(
    public spec: AppSpec,
    private readonly host: DeploymentHost,
  ) {
    this.lastDeployedAt = host.now();
    this.deploy(spec);
  }

  /** Deploys `spec`: deployments of the same name are updated, others added or deleted. */
  deploy(spec: AppSpec): void {
    this.spec = spec;
    this.deleting = false;
    this.lastDeployedAt = this.host.now();
    const names = new Set(spec.deployments.map((d) => d.name));
    for (const d of spec.deployments) {
      const existing = this.deployments.get(d.name);
      if (existing !== undefined) existing.deploy(d);
      else this.deployments.set(d.name, new DeploymentState(spec.name, d, deploymentKey(spec.name, d.name), this.host));
    }
    for (const [name, d] of this.deployments) if (!names.has(name)) d.delete();
  }

  /** Whether `spec` is what runs already (a declarative deploy leaves such an app untouched). */
  same(spec: AppSpec): boolean {
    if (this.deleting || spec.routePrefix !== this.spec.routePrefix || spec.ingress !== this.spec.ingress) return false;
    if (spec.deployments.length !== this.spec.deployments.length) return false;
    return spec.deployments.every((d) => {
      const mine = this.deployments.get(d.name)?.spec;
      return mine !== undefined && mine.version === d.version && JSON.stringify(mine.given) === JSON.stringify(d.given);
    });
  }

  delete(): void {
    this.deleting = true;
    for (const d of this.deployments.values()) d.delete();
  }

  get isDeleting(): boolean {
    return this.deleting;
  }

  get done(): boolean {
    return this.deleting && [...this.deployments.values()].every((d) => d.done);
  }

  reconcile(): void {
    for (const [name, d] of this.deployments) {
      d.reconcile();
      if (d.done) this.deployments.delete(name);
    }
  }

  status(): ApplicationStatusInfo {
    const deployments = Object.fromEntries([...this.deployments].filter(([, d]) => !d.deleting || this.deleting).map(([name, d]) => [name, d.status()]));
    const list = Object.values(deployments);
    let status: ApplicationStatus = "RUNNING";
    let message = "";
    const failed = list.find((d) => d.status === "DEPLOY_FAILED");
    const unhealthy = list.find((d) => d.status === "UNHEALTHY");
    const updating = list.find((d) => d.status === "UPDATING");
    if (this.deleting) status = "DELETING";
    else if (failed !== undefined) {
      status = "DEPLOY_FAILED";
      message = `deployment "${failed.name}" failed: ${failed.message}`;
    } else if (unhealthy !== undefined) {
      status = "UNHEALTHY";
      message = `deployment "${unhealthy.name}": ${unhealthy.message}`;
    } else if (updating !== undefined || [...this.deployments.values()].some((d) => d.deleting)) {
      status = "DEPLOYING";
      message = updating !== undefined ? `deployment "${updating.name}": ${updating.message}` : "removing deployments";
    }
    return {
      name: this.spec.name,
      status,
      message,
      routePrefix: this.spec.routePrefix,
      ingress: this.spec.ingress,
      lastDeployedAt: this.lastDeployedAt,
      deployments,
    };
  }
}
