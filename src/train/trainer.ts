/**
 * The training loop (`poet train`): what the original's run_dpo.py / run_simpo.py do on the HF Trainer
 * (poet-spec §4.3, §5), for the dpo, simpo and sft trainers, on poet's tensor core.
 *
 * Step arithmetic (HF Trainer 4.44, world size 1):
 *   micro-batches per epoch   M = ceil(N / per_device_train_batch_size)
 *   updates per epoch         U = max(floor(M / GAS), 1)
 *   max_steps                 = max_steps > 0 ? max_steps : ceil(num_train_epochs · U)
 *   step s uses the micro-batches (s mod U)·GAS … +GAS−1 of epoch floor(s / U); leftover micro-batches at
 *   the end of an epoch trigger no update (HF) — poet does not compute them at all.
 * Epoch order: a seeded permutation of the pairs per epoch (or HF's length-grouped order with
 * group_by_length), a pure function of (data_seed, epoch), so the data position of a resumed run is just
 * the global step.
 * Each micro-loss is scaled by 1/GAS; gradients accumulate; then clipping, AdamW, the schedule.
 * Logging every `logging_steps` (loss = mean per-step loss since the last log, grad_norm, learning_rate =
 * the rate of the next update as HF logs it, epoch, step, the averaged micro-batch metrics), evaluation
 * every `eval_steps` on the test split (eval_strategy steps) or per epoch, checkpoints every `save_steps`
 * or per epoch with `save_total_limit`, TR-DPO reference syncing, NaN/Inf guard.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setBackend } from '../backend/index.ts';
import type { TrainingConfig } from '../config/index.ts';
import { buildPairBatch, buildSftBatch, lengthGroupedOrder, pairCost, shuffledOrder } from '../data/batch.ts';
import { preparePreferenceData, type DataOptions } from '../data/prepare.ts';
import { prepareSftData } from '../data/prepare_sft.ts';
import type { TokenizedPair, TokenizedSft } from '../data/types.ts';
import { removeStalePartials } from '../io/atomic.ts';
import { loadModelDir, writeModelFilesInto } from '../io/model_dir.ts';
import {
  assertValidLossOptions,
  createLossState,
  dpoLossOptions,
  RunningMoments,
  simpoLossOptions,
  tokenTermEnabled,
  type LossState,
  type PreferenceLossOptions,
} from '../losses/index.ts';
import { createModel, type CausalLM } from '../models/index.ts';
import { loadTokenizer } from '../tokenizer/index.ts';
import { PoetError, PoetMultiError } from '../util/errors.ts';
import { formatDuration, Progress } from '../util/progress.ts';
import { listCheckpoints, loadCheckpointState, rotateCheckpoints, saveCheckpoint, writeJson } from './checkpoint.ts';
import { MetricsLog, MetricStore, type LogEntry } from './metrics_log.ts';
import { AdamW } from './optimizer.ts';
import { pairStep, type MicroStepResult, type PairSums } from './pair_step.ts';
import { loadOrComputeReferenceSums } from './reference.ts';
import { makeSchedule, warmupStepsFor } from './schedule.ts';
import { sftStep } from './sft_step.ts';

export interface TrainOptions {
  /** Printed notices from config resolution (trainer-type decision, unused keys, …). */
  notices?: string[];
  /** Called for every log entry (train and eval). */
  onLog?: (entry: LogEntry) => void;
  /** Plain progress lines instead of a TTY bar. */
  plainProgress?: boolean;
  /** No progress output at all (the caller reports progress through onLog). */
  silentProgress?: boolean;
  /** Stop after this many optimizer steps of THIS invocation (tests: simulate an interrupted run). */
  stopAfterSteps?: number;
  log?: (line: string) => void;
}

export interface TrainSummary {
  outputDir: string;
  globalStep: number;
  maxSteps: number;
  trainLoss: number;
  history: LogEntry[];
  resumedFrom: string | null;
  /** True when stopAfterSteps interrupted the run before max_steps. */
  interrupted: boolean;
}

interface PoetState {
  global_step: number;
  loss_state: ReturnType<RunningMoments['toJSON']>;
  window: { loss_sum: number; steps: number; store: ReturnType<MetricStore['toJSON']> };
  total_loss_sum: number;
  tokens_seen: number;
}

interface TrainerStateJson {
  global_step: number;
  epoch: number;
  max_steps: number;
  num_train_epochs: number;
  logging_steps: number;
  eval_steps: number;
  save_steps: number;
  train_batch_size: number;
  total_flos: number;
  is_local_process_zero: boolean;
  is_world_process_zero: boolean;
  log_history: LogEntry[];
  best_metric: null;
  best_model_checkpoint: null;
  trial_name: null;
  trial_params: null;
}

type Example = TokenizedPair | TokenizedSft;

function stepsOf(value: number, maxSteps: number): number {
  // HF: logging/eval/save steps < 1 are a ratio of max_steps.
  return value < 1 ? Math.max(1, Math.ceil(value * maxSteps)) : Math.round(value);
}

function lossOptionsOf(cfg: TrainingConfig): PreferenceLossOptions {
  if (cfg.trainer_type === 'simpo') {
    return simpoLossOptions({
      loss_type: cfg.loss_type,
      beta: cfg.beta,
      gamma_beta_ratio: cfg.gamma_beta_ratio,
      label_smoothing: cfg.label_smoothing,
      sft_weight: cfg.sft_weight,
    });
  }
  return dpoLossOptions({
    loss_type: cfg.loss_type,
    beta: cfg.beta,
    label_smoothing: cfg.label_smoothing,
    reference_free: cfg.reference_free,
    f_divergence_type: cfg.f_divergence_type,
    f_alpha_divergence_coef: cfg.f_alpha_divergence_coef,
    rpo_alpha: cfg.rpo_alpha,
  });
}

export function dataOptionsOf(cfg: TrainingConfig, onProgress?: (done: number, total: number) => void): DataOptions {
  return {
    datasetMixer: cfg.dataset_mixer,
    datasetSplits: cfg.dataset_splits,
    datasetConfigs: cfg.dataset_configs,
    tokenizerDir: cfg.tokenizer_name_or_path,
    chatTemplate: cfg.chat_template,
    trainer: cfg.trainer_type,
    maxLength: cfg.max_length,
    maxPromptLength: cfg.max_prompt_length,
    maxCompletionLength: cfg.max_completion_length,
    truncationMode: cfg.truncation_mode,
    autoInsertEmptySystemMsg: cfg.auto_insert_empty_system_msg,
    skipInvalidRows: cfg.skip_invalid_rows,
    modelNameOrPath: cfg.model_name_or_path,
    cacheDir: cfg.data_cache_dir ?? undefined,
    outputDir: cfg.output_dir,
    onProgress,
  };
}

/**
 * Every local input the run needs, checked before any work, all problems in one message: configs of the
 * original name hub ids (e.g. `alignment-handbook/zephyr-7b-sft-full`), which poet does not download.
 */
function checkInputs(cfg: TrainingConfig): void {
  const problems: string[] = [];
  const hub = (p: string) => (/^[\w.-]+\/[\w.-]+$/.test(p) ? ' (it looks like a hub id: poet reads local folders only, no downloads)' : '');
  const modelDir = (key: string, dir: string | null) => {
    if (dir === null) return;
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      problems.push(`${key}: ${dir} is not a local Hugging Face model folder (no config.json)${hub(dir)}; put the model there or override --${key}=DIR (\`poet init-model\` makes a random one)`);
    }
  };
  modelDir('model_name_or_path', cfg.model_name_or_path);
  if (cfg.trainer_type === 'dpo' && cfg.ref_model_name_or_path !== cfg.model_name_or_path) modelDir('ref_model_name_or_path', cfg.ref_model_name_or_path);
  if (cfg.tokenizer_name_or_path !== cfg.model_name_or_path && !fs.existsSync(path.join(cfg.tokenizer_name_or_path, 'tokenizer.json'))) {
    problems.push(`tokenizer_name_or_path: ${cfg.tokenizer_name_or_path} has no tokenizer.json${hub(cfg.tokenizer_name_or_path)}`);
  }
  for (const d of Object.keys(cfg.dataset_mixer)) {
    if (!fs.existsSync(d)) problems.push(`dataset_mixer: ${d} does not exist${hub(d)}; give a local folder with one file per split or override --dataset_mixer=DIR:1.0`);
  }
  if (problems.length > 0) throw new PoetMultiError(`cannot start training: ${problems.length} missing input${problems.length > 1 ? 's' : ''}`, problems);
}

function findResume(cfg: TrainingConfig): string | null {
  const r = cfg.resume_from_checkpoint;
  if (typeof r === 'string') {
    if (!fs.existsSync(r)) throw new PoetError(`resume_from_checkpoint: ${r} does not exist`);
    return r;
  }
  // Like the original run scripts (get_checkpoint): resume from the last checkpoint in output_dir.
  if (r === false) return null;
  const all = listCheckpoints(cfg.output_dir);
  return all.length > 0 ? all[all.length - 1]!.dir : null;
}

export async function train(cfg: TrainingConfig, opts: TrainOptions = {}): Promise<TrainSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  for (const n of opts.notices ?? []) log(`poet: notice: ${n}`);
  setBackend(process.env.POET_BACKEND ?? cfg.backend);
  const kind = cfg.trainer_type;
  log(`poet: trainer ${kind}${kind !== 'sft' && cfg.use_poet ? ' + POET' : ''}, model ${cfg.model_name_or_path}, output ${cfg.output_dir}`);

  // ---- options that must be consistent before any work
  const lossOpts = kind === 'sft' ? null : lossOptionsOf(cfg);
  if (lossOpts) for (const w of assertValidLossOptions(lossOpts, 'config')) log(`poet: warning: ${w}`);
  if (kind === 'dpo' && cfg.precompute_ref_log_probs && cfg.sync_ref_model) {
    throw new PoetError('precompute_ref_log_probs cannot be combined with sync_ref_model: the reference changes during training');
  }

  checkInputs(cfg);
  fs.mkdirSync(cfg.output_dir, { recursive: true });
  removeStalePartials(cfg.output_dir);
  const resumeDir = findResume(cfg);

  // ---- data
  const dataProgress = (label: string) => {
    let bar: Progress | null = null;
    return (done: number, total: number) => {
      bar ??= new Progress({ label, total, plain: opts.plainProgress, silent: opts.silentProgress, intervalMs: 5000 });
      bar.update(done);
      if (done >= total) bar.stop();
    };
  };
  const tokenizer = await loadTokenizer(cfg.tokenizer_name_or_path, cfg.chat_template ? { chatTemplate: cfg.chat_template } : {});
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  if (padId === null) throw new PoetError(`${cfg.tokenizer_name_or_path}: the tokenizer has neither a pad nor an EOS token`);
  let train: Example[];
  let test: Example[];
  let dataCacheFile: string | null = null;
  if (kind === 'sft') {
    const d = await prepareSftData({
      datasetMixer: cfg.dataset_mixer,
      datasetSplits: cfg.dataset_splits,
      datasetConfigs: cfg.dataset_configs,
      tokenizerDir: cfg.tokenizer_name_or_path,
      chatTemplate: cfg.chat_template,
      maxLength: cfg.max_length,
      autoInsertEmptySystemMsg: cfg.auto_insert_empty_system_msg,
      skipInvalidRows: cfg.skip_invalid_rows,
    });
    train = d.train;
    test = d.test;
    if (d.skipped.length > 0) log(`poet: skipped ${d.skipped.length} invalid rows (skip_invalid_rows)`);
  } else {
    const d = await preparePreferenceData(dataOptionsOf(cfg, dataProgress('tokenize')));
    train = d.train;
    test = d.test;
    dataCacheFile = d.cacheFile;
    for (const n of d.summary.notices) log(`poet: notice: ${n}`);
    if (d.summary.skipped.length > 0) log(`poet: skipped ${d.summary.skipped.length} invalid rows (skip_invalid_rows)`);
    if (d.summary.droppedNoScoredTokens.length > 0) log(`poet: dropped ${d.summary.droppedNoScoredTokens.length} pairs without a scored response token`);
    log(`poet: data: ${train.length} train / ${test.length} test pairs${d.fromCache ? ' (from the tokenized cache)' : ''}`);
  }
  if (train.length === 0) throw new PoetError(`dataset_mixer: no training examples in ${Object.keys(cfg.dataset_mixer).join(', ')} (splits ${cfg.dataset_splits.join(', ')})`);

  // ---- models
  const start = loadModelDir(cfg.model_name_or_path); // presence checked by checkInputs
  const resume = resumeDir ? loadCheckpointState<PoetState, TrainerStateJson>(resumeDir) : null;
  const policyWeights = resume ? loadModelDir(resumeDir!).weights : start.weights;
  const policy = createModel(start.config, policyWeights);
  policy.gradientCheckpointing = cfg.gradient_checkpointing;
  const params = [...policy.parameters.values()];

  let reference: CausalLM | null = null;
  let refTrain: PairSums | null = null;
  let refTest: PairSums | null = null;
  const usePoet = kind !== 'sft' && cfg.use_poet;
  const needTail = lossOpts ? tokenTermEnabled(lossOpts) : false;
  const batchOpts = { padId, usePoet, needTail };
  if (kind === 'dpo') {
    const refDir = cfg.ref_model_name_or_path ?? cfg.model_name_or_path;
    const ref = refDir === cfg.model_name_or_path ? start : loadModelDir(refDir);
    if (ref.config.vocab_size !== start.config.vocab_size) {
      throw new PoetError(`ref_model_name_or_path: ${refDir} has vocab_size ${ref.config.vocab_size}, the policy ${cfg.model_name_or_path} has ${start.config.vocab_size}; the reference must share the policy's vocabulary`);
    }
    const refWeights = resume?.reference ?? new Map([...ref.weights].map(([k, v]) => [k, v === policyWeights.get(k) ? v.slice() : v]));
    reference = createModel(ref.config, refWeights);
    for (const p of reference.parameters.values()) p.requiresGrad = false;
    if (cfg.precompute_ref_log_probs) {
      const r = loadOrComputeReferenceSums({
        model: reference,
        modelDir: refDir,
        dataCacheFile,
        outputDir: cfg.output_dir,
        splits: { train: train as TokenizedPair[], test: test as TokenizedPair[] },
        batchOpts,
        batchSize: cfg.per_device_eval_batch_size,
        log,
        plainProgress: opts.plainProgress,
      });
      refTrain = r.train;
      refTest = r.test;
      // Precomputed sums are really used (TRL 0.9.6 ignored them unless rpo_alpha was set, spec §8.10);
      // the reference model is no longer needed.
      reference = null;
    }
  }

  // ---- step arithmetic
  const bs = cfg.per_device_train_batch_size;
  const gas = cfg.gradient_accumulation_steps;
  const microPerEpoch = Math.ceil(train.length / bs);
  const updatesPerEpoch = Math.max(Math.floor(microPerEpoch / gas), 1);
  const maxSteps = cfg.max_steps > 0 ? cfg.max_steps : Math.ceil(cfg.num_train_epochs * updatesPerEpoch);
  const numEpochs = Math.ceil(maxSteps / updatesPerEpoch);
  const loggingSteps = stepsOf(cfg.logging_steps, maxSteps);
  const evalSteps = stepsOf(cfg.eval_steps, maxSteps);
  const saveSteps = stepsOf(cfg.save_steps, maxSteps);
  const lrAt = makeSchedule({
    type: cfg.lr_scheduler_type,
    baseLr: cfg.learning_rate,
    totalSteps: maxSteps,
    warmupSteps: cfg.warmup_steps,
    warmupRatio: cfg.warmup_ratio,
  });
  log(
    `poet: ${train.length} examples, batch ${bs} × accumulation ${gas} = ${bs * gas} per update, ${maxSteps} updates ` +
      `(${numEpochs} epoch${numEpochs > 1 ? 's' : ''}), warmup ${warmupStepsFor(maxSteps, cfg.warmup_steps, cfg.warmup_ratio)}`,
  );

  const optimizer = new AdamW(
    policy.backend,
    params,
    { beta1: cfg.adam_beta1, beta2: cfg.adam_beta2, eps: cfg.adam_epsilon, weightDecay: cfg.weight_decay, maxGradNorm: cfg.max_grad_norm },
    resume ? { step: resume.poetState.optimizer_step, m: resume.optimizerM, v: resume.optimizerV } : undefined,
  );
  const lossState: LossState = resume ? { running: RunningMoments.from(resume.poetState.loss_state) } : createLossState();

  // ---- logs
  const metricsPath = path.join(cfg.output_dir, 'metrics.jsonl');
  const history = resume ? [...resume.trainerState.log_history] : [];
  fs.writeFileSync(metricsPath, history.map((h) => JSON.stringify(h) + '\n').join(''));
  const mlog = new MetricsLog(metricsPath, history);
  const emit = (e: LogEntry) => {
    mlog.write(e);
    opts.onLog?.(e);
  };
  const store = resume ? MetricStore.fromJSON(resume.poetState.window.store) : new MetricStore();
  let windowLoss = resume?.poetState.window.loss_sum ?? 0;
  let windowSteps = resume?.poetState.window.steps ?? 0;
  let totalLoss = resume?.poetState.total_loss_sum ?? 0;
  let tokensSeen = resume?.poetState.tokens_seen ?? 0;
  let globalStep = resume?.poetState.global_step ?? 0;
  if (resume) log(`poet: resuming from ${resume.dir} at step ${globalStep}`);
  let lastCheckpoint: string | null = resume?.dir ?? null;

  // ---- batching
  const orderCache = new Map<number, Uint32Array>();
  const epochOrder = (epoch: number): Uint32Array => {
    let o = orderCache.get(epoch);
    if (!o) {
      o = cfg.group_by_length
        ? lengthGroupedOrder(
            train.map((e) => ('ids' in e ? e.ids.length : pairCost(e, usePoet && !needTail))),
            bs,
            cfg.data_seed + epoch,
          )
        : shuffledOrder(train.length, cfg.data_seed, epoch);
      orderCache.clear();
      orderCache.set(epoch, o);
    }
    return o;
  };
  const runMicro = (examples: Example[], indices: ArrayLike<number>, refSums: PairSums | null, scale: number, isTrain: boolean): MicroStepResult => {
    if (kind === 'sft') {
      return sftStep(policy, buildSftBatch(Array.from(indices, (i) => examples[i] as TokenizedSft), padId), scale, isTrain);
    }
    const batch = buildPairBatch(Array.from(indices, (i) => examples[i] as TokenizedPair), batchOpts);
    // Precomputed reference sums are per example; pick this micro-batch's.
    const pre = refSums
      ? { chosen: Float64Array.from(indices, (i) => refSums.chosen[i]!), rejected: Float64Array.from(indices, (i) => refSums.rejected[i]!) }
      : null;
    return pairStep({ policy, reference, refSums: pre, batch, loss: lossOpts!, lossState, scale, train: isTrain });
  };

  const evaluate = (): LogEntry => {
    const t0 = Date.now();
    const evalStore = new MetricStore();
    let lossSum = 0;
    let n = 0;
    const ebs = cfg.per_device_eval_batch_size;
    let batches = 0;
    for (let i = 0; i < test.length; i += ebs) {
      const idx = Array.from({ length: Math.min(ebs, test.length - i) }, (_, j) => i + j);
      const r = runMicro(test, idx, refTest, 1, false);
      lossSum += r.loss * idx.length;
      n += idx.length;
      evalStore.add(r.metrics);
      batches++;
    }
    const secs = (Date.now() - t0) / 1000;
    return {
      eval_loss: lossSum / Math.max(1, n),
      ...evalStore.drain('eval_'),
      eval_runtime: secs,
      eval_samples_per_second: n / Math.max(secs, 1e-9),
      eval_steps_per_second: batches / Math.max(secs, 1e-9),
      epoch: globalStep / updatesPerEpoch,
      step: globalStep,
    };
  };

  const trainerState = (): TrainerStateJson => ({
    global_step: globalStep,
    epoch: globalStep / updatesPerEpoch,
    max_steps: maxSteps,
    num_train_epochs: numEpochs,
    logging_steps: loggingSteps,
    eval_steps: evalSteps,
    save_steps: saveSteps,
    train_batch_size: bs,
    total_flos: 0,
    is_local_process_zero: true,
    is_world_process_zero: true,
    log_history: mlog.history,
    best_metric: null,
    best_model_checkpoint: null,
    trial_name: null,
    trial_params: null,
  });
  const modelToSave = () => ({ config: start.config, weights: new Map([...policy.parameters].map(([k, p]) => [k, p.data])), dtype: start.dtype, dir: start.dir, rawConfig: start.rawConfig });
  const checkpoint = () => {
    const dir = saveCheckpoint<PoetState, TrainerStateJson>(cfg.output_dir, globalStep, {
      model: modelToSave(),
      optimizer: optimizer.state,
      reference: cfg.sync_ref_model && reference ? new Map([...reference.parameters].map(([k, p]) => [k, p.data])) : null,
      trainerState: trainerState(),
      poetState: {
        global_step: globalStep,
        loss_state: lossState.running.toJSON(),
        window: { loss_sum: windowLoss, steps: windowSteps, store: store.toJSON() },
        total_loss_sum: totalLoss,
        tokens_seen: tokensSeen,
      },
      trainingArgs: cfg,
    });
    lastCheckpoint = dir;
    for (const r of rotateCheckpoints(cfg.output_dir, cfg.save_total_limit)) log(`poet: removed old checkpoint ${r}`);
    log(`poet: saved ${dir}`);
  };

  // ---- the loop
  const t0 = Date.now();
  const startStep = globalStep;
  let stepsThisRun = 0;
  const bar = new Progress({ label: 'train', total: maxSteps, plain: opts.plainProgress, silent: opts.silentProgress, intervalMs: 10_000 });
  bar.update(globalStep);
  while (globalStep < maxSteps) {
    if (opts.stopAfterSteps !== undefined && stepsThisRun >= opts.stopAfterSteps) break;
    const epoch = Math.floor(globalStep / updatesPerEpoch);
    const order = epochOrder(epoch);
    const inEpoch = globalStep % updatesPerEpoch;
    const micros = Math.min(gas, microPerEpoch);
    let stepLoss = 0;
    policy.zeroGrad();
    for (let j = 0; j < micros; j++) {
      const m = inEpoch * gas + j;
      const idx = order.subarray(m * bs, Math.min((m + 1) * bs, train.length));
      const r = runMicro(train, idx, refTrain, 1 / gas, true);
      if (!Number.isFinite(r.loss)) {
        throw new PoetError(
          `non-finite loss (${r.loss}) at step ${globalStep + 1}, micro-batch ${j + 1}/${micros} (examples ${Array.from(idx).join(', ')} of the shuffled train split); ` +
            (lastCheckpoint ? `last good checkpoint: ${lastCheckpoint}` : 'no checkpoint was saved yet') +
            '. Lower the learning rate or check the data.',
          3,
        );
      }
      stepLoss += r.loss / gas;
      tokensSeen += r.tokens;
      store.add(r.metrics);
    }
    const lr = lrAt(globalStep);
    const gradNorm = optimizer.step(lr);
    globalStep++;
    stepsThisRun++;
    windowLoss += stepLoss;
    windowSteps++;
    totalLoss += stepLoss;
    if (!Number.isFinite(gradNorm)) {
      throw new PoetError(`non-finite gradient norm at step ${globalStep}; ${lastCheckpoint ? `last good checkpoint: ${lastCheckpoint}` : 'no checkpoint was saved yet'}`, 3);
    }
    if (kind === 'dpo' && cfg.sync_ref_model && reference && globalStep % cfg.ref_model_sync_steps === 0) {
      // TR-DPO (Gorbatovski et al. 2024): θ_ref ← (1 − α)·θ_ref + α·θ_policy
      const a = cfg.ref_model_mixup_alpha;
      for (const [name, rp] of reference.parameters) {
        const pp = policy.parameters.get(name)!.data;
        const rd = rp.data;
        for (let i = 0; i < rd.length; i++) rd[i] = (1 - a) * rd[i]! + a * pp[i]!;
      }
    }
    const epochF = globalStep / updatesPerEpoch;
    const elapsed = (Date.now() - t0) / 1000;
    bar.update(globalStep, { loss: stepLoss, 'tok/s': Math.round(tokensSeen / Math.max(elapsed, 1e-9)), epoch: Number(epochF.toFixed(2)) });
    if (globalStep % loggingSteps === 0 || (cfg.logging_first_step && globalStep === 1)) {
      emit({ loss: windowLoss / windowSteps, grad_norm: gradNorm, learning_rate: lrAt(globalStep), ...store.drain(), epoch: epochF, step: globalStep });
      windowLoss = 0;
      windowSteps = 0;
    }
    const epochEnd = globalStep % updatesPerEpoch === 0;
    if (test.length > 0 && ((cfg.eval_strategy === 'steps' && globalStep % evalSteps === 0) || (cfg.eval_strategy === 'epoch' && epochEnd))) {
      emit(evaluate());
    }
    if ((cfg.save_strategy === 'steps' && globalStep % saveSteps === 0) || (cfg.save_strategy === 'epoch' && epochEnd)) {
      checkpoint();
    }
  }
  bar.stop();

  const interrupted = globalStep < maxSteps;
  const runtime = (Date.now() - t0) / 1000;
  const trainLoss = totalLoss / Math.max(1, globalStep);
  if (interrupted) {
    return { outputDir: cfg.output_dir, globalStep, maxSteps, trainLoss, history: mlog.history, resumedFrom: resume?.dir ?? null, interrupted };
  }

  // ---- end of training: HF's final log line, results files, final model, evaluation
  const stepsRun = globalStep - startStep;
  const trainMetrics = {
    train_runtime: runtime,
    train_samples_per_second: (stepsRun * bs * gas) / Math.max(runtime, 1e-9),
    train_steps_per_second: stepsRun / Math.max(runtime, 1e-9),
    total_flos: 0,
    train_loss: trainLoss,
    epoch: globalStep / updatesPerEpoch,
  };
  emit({ ...trainMetrics, step: globalStep });
  const trainResults = { ...trainMetrics, train_samples: train.length };
  writeJson(path.join(cfg.output_dir, 'train_results.json'), trainResults);
  writeJson(path.join(cfg.output_dir, 'poet_config.json'), cfg);
  writeModelFilesInto(cfg.output_dir, modelToSave(), { saveDtype: cfg.save_dtype ?? start.dtype });
  log(`poet: saved the final model to ${cfg.output_dir} (${cfg.save_dtype ?? start.dtype})`);
  let evalResults: LogEntry = {};
  if (cfg.do_eval && test.length > 0) {
    evalResults = evaluate();
    emit(evalResults);
    const { step: _s, ...rest } = evalResults;
    evalResults = { ...rest, eval_samples: test.length };
    writeJson(path.join(cfg.output_dir, 'eval_results.json'), evalResults);
  }
  writeJson(path.join(cfg.output_dir, 'all_results.json'), { ...trainResults, ...evalResults });
  writeJson(path.join(cfg.output_dir, 'trainer_state.json'), trainerState());
  log(`poet: done: ${globalStep} steps in ${formatDuration(runtime)}, train_loss ${trainLoss.toFixed(4)}`);
  return { outputDir: cfg.output_dir, globalStep, maxSteps, trainLoss, history: mlog.history, resumedFrom: resume?.dir ?? null, interrupted };
}

