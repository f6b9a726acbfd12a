/**
 * CartPole-v1 with Gymnasium's dynamics and constants: a pole on a cart, pushed left (0) or
 * right (1) with a force of 10 N, integrated with Euler's method every 0.02 s; the episode
 * terminates when the pole leans past 12° or the cart leaves ±2.4, and is truncated after
 * 500 steps. Reward 1 per step, the terminating step included. The state is kept in float64
 * and observed as float32, as in Gymnasium.
 */
import type { Env, ResetOptions, ResetResult, StepResult } from "../env.js";
import { Rng } from "../rng.js";
import { Box, Discrete } from "../spaces.js";

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_CART + MASS_POLE;
const HALF_LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
const MAX_EPISODE_STEPS = 500;

export class CartPole implements Env<Float32Array, number> {
  readonly observationSpace = new Box({
    low: [-X_THRESHOLD * 2, -3.4028234663852886e38, -THETA_THRESHOLD * 2, -3.4028234663852886e38],
    high: [X_THRESHOLD * 2, 3.4028234663852886e38, THETA_THRESHOLD * 2, 3.4028234663852886e38],
  });
  readonly actionSpace = new Discrete(2);
  private rng = new Rng(Date.now());
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private steps = 0;
  private done = true;
  private started = false;
  private readonly maxEpisodeSteps: number;

  constructor(config: { maxEpisodeSteps?: number } = {}) {
    this.maxEpisodeSteps = config.maxEpisodeSteps ?? MAX_EPISODE_STEPS;
  }

  reset(o: ResetOptions = {}): ResetResult<Float32Array> {
    if (o.seed !== undefined) this.rng = new Rng(o.seed);
    this.x = this.rng.uniform(-0.05, 0.05);
    this.xDot = this.rng.uniform(-0.05, 0.05);
    this.theta = this.rng.uniform(-0.05, 0.05);
    this.thetaDot = this.rng.uniform(-0.05, 0.05);
    this.steps = 0;
    this.done = false;
    this.started = true;
    return { obs: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.actionSpace.contains(action)) throw new RangeError(`CartPole-v1: action ${String(action)} is not in ${this.actionSpace.toString()}`);
    if (!this.started) throw new TypeError("CartPole-v1: call reset() before step()");
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cos = Math.cos(this.theta);
    const sin = Math.sin(this.theta);
    const temp = (force + POLE_MASS_LENGTH * this.thetaDot * this.thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3.0 - (MASS_POLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    this.x += TAU * this.xDot;
    this.xDot += TAU * xAcc;
    this.theta += TAU * this.thetaDot;
    this.thetaDot += TAU * thetaAcc;
    this.steps++;
    const terminated = this.x < -X_THRESHOLD || this.x > X_THRESHOLD || this.theta < -THETA_THRESHOLD || this.theta > THETA_THRESHOLD;
    // A step after the episode ended earns nothing (Gymnasium warns and returns 0).
    const reward = this.done ? 0 : 1;
    if (terminated) this.done = true;
    return { obs: this.observe(), reward, terminated, truncated: !terminated && this.steps >= this.maxEpisodeSteps, info: {} };
  }

  private observe(): Float32Array {
    return Float32Array.of(this.x, this.xDot, this.theta, this.thetaDot);
  }
}
