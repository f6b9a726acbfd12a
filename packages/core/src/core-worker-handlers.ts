import {
  collectGarbage,
  CoreWorkerService,
  decodeTaskSpec,
  serve,
  type Handlers,
  type ServerConnection,
  type ServiceHandlers,
} from "@lux/protocol";
import { createLogger } from "@lux/common";
import type { PeerConnection } from "./connections.js";
import type { CoreWorker } from "./core-worker.js";
import { objectRefsReport } from "./object-refs-report.js";
import { printWorkerOutput } from "./worker-output-printer.js";

const log = createLogger("core");

export type CoreWorkerHandlers = ServiceHandlers<CoreWorkerService>;
type Some = Handlers<CoreWorkerService, ServerConnection<CoreWorkerService>>;

/**
 * What a core worker answers to its peers (owners, borrowers, the raylet). `the` returns
 * the core worker, which is made after its servers listen (it throws until then).
 */
export function coreWorkerHandlers(the: () => CoreWorker): CoreWorkerHandlers {
  return serve(CoreWorkerService, { ...taskHandlers(the), ...objectHandlers(the), ...processHandlers(the) });
}

/** Running tasks and actors (as their worker), and cancelling them (as their owner). */
function taskHandlers(the: () => CoreWorker): Some {
  return {
    pushTask: (wire, connection) => the().executor.execute(decodeTaskSpec(connection, wire), connection as PeerConnection),
    createActor: async (spec) => {
      await the().executor.createActor(spec);
      return { ok: true };
    },
    cancelTask: (req) => {
      the().executor.cancel(req.taskId, req.recursive);
      return { ok: true };
    },
    cancelOwnedTask: async (req) => {
      await the().cancelOwned(req.objectId, req.force, req.recursive);
      return { ok: true };
    },
    releaseContained: (req) => {
      the().executor.releaseContained(req.objectIds);
      return { ok: true };
    },
    // As the owner of a generator task: an item its worker yielded.
    reportGeneratorItem: (item, connection) => the().generators.report(item, connection as PeerConnection),
  };
}

/** Objects this process owns or borrows. */
function objectHandlers(the: () => CoreWorker): Some {
  return {
    getObjectStatus: (req) => the().objects.directory.status(req.objectId, req.waitMs),
    addObjectLocation: (req) => {
      the().objects.directory.addCopy(req.objectId, req.nodeId);
      return { ok: true };
    },
    reportObjectLost: async (req) => {
      await the().objects.directory.reportedLost(req.objectId, req.nodeIds);
      return { ok: true };
    },
    freeOwnedObjects: (req) => {
      for (const id of req.objectIds) the().objects.freeNow(id);
      return { ok: true };
    },
    addBorrow: (req) => {
      for (const id of req.objectIds) the().objects.refs.addBorrower(id);
      return { ok: true };
    },
    removeBorrow: (req) => {
      for (const id of req.objectIds) the().objects.refs.removeBorrower(id);
      return { ok: true };
    },
    listObjectRefs: () => {
      const c = the();
      return objectRefsReport(c.address, c.options.workerId, c.objects, c.results.pendingArgIds(), c.results.observed?.callSites);
    },
  };
}

/** The process itself, and news of the cluster (from the raylet and the control service). */
function processHandlers(the: () => CoreWorker): Some {
  return {
    nodeDied: (req) => {
      the().nodeDied(req.nodeId);
      return { ok: true };
    },
    canExit: () => ({ ok: the().idle() }),
    exit: () => {
      setImmediate(() => process.exit(0));
      return { ok: true };
    },
    collectGarbage: () => {
      collectGarbage();
      return { ok: true };
    },
    logWarning: (req) => {
      log.warn(req.message);
      return { ok: true };
    },
    // A driver: lines its job's workers wrote, from their raylet.
    workerOutput: (batch, connection) => {
      printWorkerOutput(batch, connection);
      return { ok: true };
    },
    // The raylet's liveness probe: answering at all is the answer.
    ping: () => ({ ok: true }),
    actorAvailability: (req) => {
      the().actorAvailability(req.actorId, req.available);
      return { ok: true };
    },
    actorNameChanged: (req) => {
      the().actorNames.changed(req);
      return { ok: true };
    },
  };
}
