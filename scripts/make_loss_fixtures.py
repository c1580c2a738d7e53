#!/usr/bin/env python3
"""Reference fixtures for poet's preference losses (src/losses/), computed with PyTorch autograd.

This is the independent reference: it re-implements, in torch and from the formulas (spec §1.3,
§1.8, §2), TRL 0.9.6 `DPOTrainer.dpo_loss` + `get_batch_loss_metrics` (every loss type,
f-divergences, label smoothing, reference_free, rpo_alpha) and SimPO's `simpo_loss` (+ sft_weight),
on random per-token log-probs with random response lengths, with and without the POET mask.
Gradients come from autograd, not from hand derivations.

Requirements (Debian/Ubuntu):  apt-get install -y python3-torch   (torch 1.13 CPU is enough)
Run from the repository root:  /usr/bin/python3 scripts/make_loss_fixtures.py
It writes test/fixtures/losses/{dpo,simpo,bco_pair,sft}.json (format version 1). The output is
deterministic (fixed seed); commit it. Tests read the JSON and never need Python.

Everything is float64. Deliberate differences from the original, mirrored by poet:
- exo_pair with label_smoothing 0 uses 1e-3 for that computation only (TRL mutates its config).
- RunningMoments keeps float64 (TRL rounds the batch mean/var to float32 with `.float()`).
- The alpha-divergence exponent cap is float32's floor(log(f32 max)*1e4)/1e4 = 88.7228 even though
  the tensors are float64 (TRL would use the tensors' dtype; training runs in float32/bf16).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
FORMAT_VERSION = 1
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'losses')
EXP_CAP = math.floor(math.log(3.4028234663852886e38) * 1e4) / 1e4  # 88.7228
T = 10  # shifted sequence length of the synthetic batches

gen = torch.Generator().manual_seed(20240613)


# ----- synthetic micro-batches ---------------------------------------------------------------

def make_batch(B, poet):
    """Per-token log-probs [2B, T] (rows 0..B-1 chosen, B..2B-1 rejected) and shifted label masks.

    Each pair has a random prompt offset shared by both rows (as after right padding, spec §1.5)
    and random response lengths >= 1. POET = positional AND of the two rows' masks (spec §1.3).
    """
    label = torch.zeros(2 * B, T)
    for i in range(B):
        p0 = int(torch.randint(0, 4, (1,), generator=gen))
        for row in (i, B + i):
            n = int(torch.randint(1, T - p0 + 1, (1,), generator=gen))
            label[row, p0:p0 + n] = 1
    if poet:
        shared = label[:B] * label[B:]
        score_mask = label * torch.cat([shared, shared], 0)
    else:
        score_mask = label.clone()
    # round to 6 decimals so the JSON inputs are exactly what torch used
    lp = torch.round(-(torch.rand(2 * B, T, generator=gen) * 3 + 0.01) * 1e6) / 1e6
    ref_lp = torch.round((lp + torch.randn(2 * B, T, generator=gen) * 0.4).clamp(max=-1e-3) * 1e6) / 1e6
    return lp, ref_lp, label, score_mask


# ----- the reference formulas (TRL 0.9.6 / SimPO, spec §2) -----------------------------------

def cap_exp(v):
    return torch.exp(torch.clamp(v, max=EXP_CAP))


class RunningMoments:
    """TRL utils.RunningMoments, non-distributed branch, float64 throughout."""

    def __init__(self):
        self.mean, self.var, self.count = 0.0, 1.0, 1e-24

    def update(self, xs):
        xs_count = xs.numel()
        xs_var, xs_mean = torch.var_mean(xs, unbiased=False)
        delta = xs_mean - self.mean
        tot = self.count + xs_count
        new_sum = xs_var * xs_count
        old_sum = self.var * self.count + delta ** 2 * self.count * xs_count / tot
        self.mean += (delta * xs_count / tot).item()
        self.var = ((old_sum + new_sum) / tot).item()
        self.count = tot


def dpo_loss(pc, pr, rc, rr, o, running):
    beta, eps, rf = o['beta'], o['label_smoothing'], o['reference_free']
    chosen_logratios = pc - (not rf) * rc
    rejected_logratios = pr - (not rf) * rr
    if o['f_divergence_type'] == 'alpha_divergence':
        a = o['f_alpha_divergence_coef']
        logits = (cap_exp(rejected_logratios * -a) - cap_exp(chosen_logratios * -a)) / a
    else:
        pi_logratios = pc - pr
        ref_logratios = torch.zeros(1) if rf else rc - rr
        logits = pi_logratios - ref_logratios
        if o['f_divergence_type'] == 'js_divergence':
            logits = logits - (F.softplus(chosen_logratios) - F.softplus(rejected_logratios))
    lt = o['loss_type']
    if lt == 'sigmoid':
        losses = -F.logsigmoid(beta * logits) * (1 - eps) - F.logsigmoid(-beta * logits) * eps
    elif lt == 'robust':
        losses = (-F.logsigmoid(beta * logits) * (1 - eps) + F.logsigmoid(-beta * logits) * eps) / (1 - 2 * eps)
    elif lt == 'exo_pair':
        e = 1e-3 if eps == 0 else eps
        losses = (beta * logits).sigmoid() * (F.logsigmoid(beta * logits) - math.log(1 - e)) + \
            (-beta * logits).sigmoid() * (F.logsigmoid(-beta * logits) - math.log(e))
    elif lt == 'hinge':
        losses = torch.relu(1 - beta * logits)
    elif lt == 'ipo':
        losses = (logits - 1 / (2 * beta)) ** 2
    elif lt == 'bco_pair':
        cl, rl = pc - rc, pr - rr
        rewards = torch.cat((beta * cl, beta * rl), 0).mean().detach()
        running.update(rewards)
        delta = running.mean
        losses = -F.logsigmoid(beta * cl - delta) - F.logsigmoid(-(beta * rl - delta))
    elif lt == 'sppo_hard':
        a, b = pc - rc, pr - rr
        losses = (a - 0.5 / beta) ** 2 + (b + 0.5 / beta) ** 2
    elif lt == 'nca_pair':
        cr, rj = (pc - rc) * beta, (pr - rr) * beta
        losses = -F.logsigmoid(cr) - 0.5 * F.logsigmoid(-cr) - 0.5 * F.logsigmoid(-rj)
    elif lt in ('aot_pair', 'aot'):
        if lt == 'aot_pair':
            u, v = pc - rc, pr - rr
        else:
            u, v = pc - pr, rc - rr
        delta = torch.sort(u, dim=0)[0] - torch.sort(v, dim=0)[0]
        losses = -F.logsigmoid(beta * delta) * (1 - eps) - F.logsigmoid(-beta * delta) * eps
    else:
        raise ValueError(lt)
    return losses, beta * (pc - rc).detach(), beta * (pr - rr).detach()


def simpo_loss(pc, pr, o):
    beta, eps = o['beta'], o['label_smoothing']
    logits = (pc - pr) - o['gamma_beta_ratio']
    if o['loss_type'] == 'sigmoid':
        losses = -F.logsigmoid(beta * logits) * (1 - eps) - F.logsigmoid(-beta * logits) * eps
    elif o['loss_type'] == 'hinge':
        losses = torch.relu(1 - beta * logits)
    else:
        raise ValueError(o['loss_type'])
    return losses, beta * pc.detach(), beta * pr.detach()


def metrics_of(cr, rr, pc, pr):
    return {
        'rewards/chosen': cr.mean().item(),
        'rewards/rejected': rr.mean().item(),
        'rewards/accuracies': (cr > rr).double().mean().item(),
        'rewards/margins': (cr - rr).mean().item(),
        'logps/chosen': pc.detach().mean().item(),
        'logps/rejected': pr.detach().mean().item(),
    }


def floats(t):
    return [float(x) for x in t.detach().reshape(-1)]


def rows(t):
    return [[float(x) for x in r] for r in t.detach()]


def int_rows(t):
    return [[int(x) for x in r] for r in t]


def run_case(name, o, B, poet, running=None, with_tokens=False, sums=None):
    """One micro-batch through get_batch_loss_metrics; returns the fixture dict."""
    trainer = o['trainer']
    if sums is None:
        lp, ref_lp, label, mask = make_batch(B, poet)
        lp = lp.clone().requires_grad_(True)
        all_sums = (lp * mask).sum(-1)
        all_sums.retain_grad()
        counts = mask.sum(-1)
        ref_sums = (ref_lp * mask).sum(-1)
    else:  # hand-made sums (extreme values), no per-token data
        lp = None
        all_sums = torch.tensor(sums['policy'], requires_grad=True)
        counts = torch.tensor(sums['counts'])
        ref_sums = torch.tensor(sums['reference'])
        with_tokens = False
    B = all_sums.shape[0] // 2
    averaged = trainer == 'simpo' or o['loss_type'] == 'ipo'
    # concatenated_forward: SimPO averages always; DPO ipo divides policy AND reference by the count
    scores = all_sums / counts if averaged else all_sums
    ref_scores = ref_sums / counts if averaged else ref_sums
    pc, pr = scores[:B], scores[B:]
    if trainer == 'dpo':
        losses, cr, rr = dpo_loss(pc, pr, ref_scores[:B], ref_scores[B:], o, running)
    else:
        losses, cr, rr = simpo_loss(pc, pr, o)
    metrics = metrics_of(cr, rr, pc, pr)
    pair_losses = losses.detach().clone()
    nll = None
    token_on = (trainer == 'dpo' and o['rpo_alpha'] is not None) or (trainer == 'simpo' and o['sft_weight'] > 0)
    if token_on:
        # nn.CrossEntropyLoss(ignore_index=-100) over the chosen half: token mean over ALL chosen
        # labels, not POET-masked (spec §1.4)
        nll = -(lp[:B] * label[:B]).sum() / label[:B].sum()
    if trainer == 'dpo':
        if o['rpo_alpha'] is not None:
            losses = losses * o['rpo_alpha'] + nll
            metrics['nll_loss'] = nll.item()
        loss = losses.mean()
    else:
        loss = losses.mean()
        if o['sft_weight'] > 0:
            loss = o['sft_weight'] * nll + loss
            metrics['sft_loss'] = nll.item()
    loss.backward()
    case = {
        'name': name,
        'options': o,
        'inputs': {
            'policy_chosen_sum': floats(all_sums[:B]),
            'policy_rejected_sum': floats(all_sums[B:]),
            'chosen_count': floats(counts[:B]),
            'rejected_count': floats(counts[B:]),
            'reference_chosen_sum': floats(ref_sums[:B]),
            'reference_rejected_sum': floats(ref_sums[B:]),
        },
        'expected': {
            'losses': floats(pair_losses),
            'loss': loss.item(),
            'metrics': metrics,
            'grad_policy_chosen_sum': floats(all_sums.grad[:B]),
            'grad_policy_rejected_sum': floats(all_sums.grad[B:]),
        },
    }
    if token_on:
        case['inputs']['nll_sum'] = float((lp[:B] * label[:B]).sum())
        case['inputs']['nll_count'] = float(label[:B].sum())
    if with_tokens or token_on:
        case['tokens'] = {
            'logps': rows(lp),
            'score_mask': int_rows(mask),
            'label_mask': int_rows(label),
            'grad_logps': rows(lp.grad),
        }
    if running is not None:
        case['expected']['running'] = {'mean': running.mean, 'var': running.var, 'count': running.count}
    return case


def dpo_opts(**kw):
    o = dict(trainer='dpo', loss_type='sigmoid', beta=0.1, label_smoothing=0.0, reference_free=False,
             f_divergence_type='reverse_kl', f_alpha_divergence_coef=1.0, rpo_alpha=None)
    o.update(kw)
    return o


def simpo_opts(**kw):
    o = dict(trainer='simpo', loss_type='sigmoid', beta=2.0, gamma_beta_ratio=0.25, label_smoothing=0.0,
             sft_weight=0.0)
    o.update(kw)
    return o


def dpo_cases():
    cases = []
    sizes = [1, 3, 4, 2]
    k = 0
    for lt in ['sigmoid', 'robust', 'exo_pair', 'hinge', 'ipo', 'sppo_hard', 'nca_pair', 'aot_pair', 'aot']:
        for poet in (False, True):
            for eps in (0.0, 0.2):
                for rf in (False, True):
                    beta = [0.1, 0.5][k % 2]
                    o = dpo_opts(loss_type=lt, beta=beta, label_smoothing=eps, reference_free=rf)
                    name = f'{lt} poet={poet} eps={eps} reference_free={rf} beta={beta}'
                    cases.append(run_case(name, o, sizes[k % 4], poet, with_tokens=(k % 4 == 0)))
                    k += 1
    for fdt, coef in [('js_divergence', 1.0), ('alpha_divergence', 0.5), ('alpha_divergence', 1.0)]:
        for lt in ['sigmoid', 'robust', 'exo_pair', 'hinge', 'ipo']:
            for rf in (False, True):
                poet = k % 2 == 0
                o = dpo_opts(loss_type=lt, beta=0.2, label_smoothing=0.1 if lt != 'hinge' else 0.0,
                             reference_free=rf, f_divergence_type=fdt, f_alpha_divergence_coef=coef)
                name = f'{lt} {fdt} alpha={coef} poet={poet} reference_free={rf}'
                cases.append(run_case(name, o, sizes[k % 4], poet, with_tokens=(k % 3 == 0)))
                k += 1
    # alpha divergence where −αΔ exceeds the exponent cap for some rows (gradient 0 there)
    for rf in (False, True):
        sums = {'policy': [-120.0, -8.0, -30.5, -14.0, -9.5, -131.0],
                'reference': [-10.0, -7.5, -29.0, -12.0, -9.0, -30.0],
                'counts': [12.0, 5.0, 9.0, 14.0, 6.0, 9.0]}
        o = dpo_opts(loss_type='sigmoid', beta=0.1, f_divergence_type='alpha_divergence', reference_free=rf)
        cases.append(run_case(f'alpha_divergence exponent cap reference_free={rf}', o, 3, False, sums=sums))
    for lt, alpha in [('sigmoid', 1.0), ('ipo', 0.5), ('hinge', 2.0)]:
        for poet in (False, True):
            o = dpo_opts(loss_type=lt, beta=0.1, rpo_alpha=alpha)
            cases.append(run_case(f'{lt} rpo_alpha={alpha} poet={poet}', o, 3, poet))
    return cases


def bco_cases():
    seqs = []
    for poet, beta in [(False, 0.1), (True, 0.5)]:
        running = RunningMoments()
        calls = []
        for j, B in enumerate([2, 3, 1, 4, 3]):
            o = dpo_opts(loss_type='bco_pair', beta=beta)
            calls.append(run_case(f'bco_pair poet={poet} call {j}', o, B, poet, running=running, with_tokens=(j == 0)))
        seqs.append({'name': f'bco_pair poet={poet} beta={beta}', 'calls': calls})
    return seqs


def simpo_cases():
    cases = []
    sizes = [2, 4, 1, 3]
    k = 0
    for lt in ['sigmoid', 'hinge']:
        for poet in (False, True):
            for eps in (0.0, 0.1):
                for gbr in (0.25, 0.6):
                    for sft in (0.0, 0.3):
                        beta = [2.0, 10.0][k % 2]
                        o = simpo_opts(loss_type=lt, beta=beta, label_smoothing=eps, gamma_beta_ratio=gbr, sft_weight=sft)
                        name = f'{lt} poet={poet} eps={eps} gamma_beta_ratio={gbr} sft_weight={sft} beta={beta}'
                        cases.append(run_case(name, o, sizes[k % 4], poet, with_tokens=(k % 4 == 1)))
                        k += 1
    return cases


def sft_cases():
    cases = []
    for B in (1, 3):
        lp, _, label, _ = make_batch(B, False)
        lp = lp.clone().requires_grad_(True)
        loss = -(lp * label).sum() / label.sum()  # HF causal-LM loss: token mean over labelled tokens
        loss.backward()
        cases.append({'name': f'sft token-mean nll rows={2 * B}', 'logps': rows(lp), 'label_mask': int_rows(label),
                      'loss': loss.item(), 'grad_logps': rows(lp.grad)})
    return cases


def write(name, cases):
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        json.dump({'format_version': FORMAT_VERSION, 'generator': 'scripts/make_loss_fixtures.py',
                   'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
    print(f'{path}: {len(cases)} cases, {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write('dpo.json', dpo_cases())
    write('bco_pair.json', bco_cases())
    write('simpo.json', simpo_cases())
    write('sft.json', sft_cases())


if __name__ == '__main__':
    main()
