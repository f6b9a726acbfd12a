/** A trainable's metrics: its own shape, read as `result.loss` (typed loosely on purpose). */
export type Metrics = Record<string, any>;
