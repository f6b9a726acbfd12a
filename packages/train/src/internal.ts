/**
 * `@lux/train/internal`: for libraries built on @lux/train (Tune), not for training code. A
 * ReportHost receives `train.report` and `train.getCheckpoint` of the code it runs (and the
 * reports of trainers run in it); a trainer's demand and variants let a library run one trainer
 * many times with other configs.
 */
export { runWithReportHost, currentReportHost, type ReportHost } from "./report-host.js";
export { trainerDemand, trainerLoopConfig, trainerVariant, type TrainerDemand, type TrainerVariant } from "./trainer-variant.js";
export { checkpointDirName } from "./run-folder.js";
