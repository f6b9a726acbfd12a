/** `lux.util.kv` in the jobs' namespace: the job manager's and the supervisors' store. */
import { util } from "lux";
import { JOBS_NAMESPACE, type JobsKv } from "./job-keys.js";

export const jobsKv: JobsKv = {
  get: (key) => util.kv.get(key, { namespace: JOBS_NAMESPACE }),
  put: (key, value, options) => util.kv.put(key, value, { namespace: JOBS_NAMESPACE, ...options }),
  del: (key) => util.kv.del(key, { namespace: JOBS_NAMESPACE }),
  keys: (prefix) => util.kv.keys(prefix, { namespace: JOBS_NAMESPACE }),
};
