#!/usr/bin/python3
"""Reference fixtures for poet's evaluation code (test/eval/*), computed with independent libraries.

Run with Debian's python (needs python3-sklearn, which brings scipy and numpy):
    /usr/bin/python3 scripts/make_eval_fixtures.py
Writes test/fixtures/eval/{glm,winrate,python_random}.json. The TypeScript tests only read these files.

What is referenced here:
- glm.json: the AlpacaEval `length_controlled_v1` GLM (tanh(std_delta_len) + instruction_difficulty +
  not_gamed_baseline, no intercept) fitted with sklearn's liblinear L1 LogisticRegression on soft labels by row
  duplication, and the cross-validation over LogisticRegressionCV's default grid (Cs=10 -> logspace(-4, 4, 10))
  scored by the weighted continuous log-loss, as alpaca_eval's `fit_LogisticRegressionCV` does. sklearn 1.2 cannot
  route sample weights into a CV scorer, so the CV loop is written out here with one LogisticRegression per
  (fold, C), which is exactly what LogisticRegressionCV(solver="liblinear") does per fold.
  Folds: poet assigns the groups round-robin in reverse index order (what GroupKFold does with equal group sizes
  and a stable sort); numpy's unstable argsort makes sklearn's own GroupKFold permute equal-size groups, so the
  fixture also records the result with sklearn's GroupKFold for comparison.
- winrate.json: AlpacaEval's head-to-head metrics, standard error from scipy.stats.sem.
- python_random.json: random.Random(1234).sample draws, as lm-eval's few-shot sampler makes them.
"""
import json
import math
import os
import random

import numpy as np
import scipy.stats
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'eval')
CS = list(np.logspace(-4, 4, 10))


def logistic(x):
    return np.exp(-np.logaddexp(0, -x))


def fit_l1(X, y, sample_weight, C):
    m = LogisticRegression(penalty='l1', solver='liblinear', fit_intercept=False, C=C, random_state=123,
                           tol=1e-10, max_iter=10000)
    m.fit(X, y, sample_weight=sample_weight)
    return m


def duplicate(X, p, w):
    """Soft labels by duplication: a y=1 copy weighted p*w and a y=0 copy weighted (1-p)*w."""
    n = X.shape[0]
    Xd = np.vstack([X, X])
    yd = np.concatenate([np.ones(n), np.zeros(n)])
    true_prob = np.concatenate([p, 1 - p])
    true_w = np.concatenate([w, w])
    groups = np.concatenate([np.arange(n), np.arange(n)])
    return Xd, yd, true_prob, true_w, groups


def cont_logloss(yd, q, true_prob, true_w):
    # alpaca_eval logloss_continuous: y_true back to the soft label, clipped log-loss times the weight, plain mean.
    y_true = np.where(yd == 1, true_prob, 1 - true_prob)
    q = np.clip(q, 1e-15, 1 - 1e-15)
    return -np.mean((y_true * np.log(q) + (1 - y_true) * np.log(1 - q)) * true_w)


def poet_folds(n_groups, n_splits=5):
    fold = np.zeros(n_groups, dtype=int)
    for pos, g in enumerate(range(n_groups - 1, -1, -1)):
        fold[g] = pos % n_splits
    return fold


def cv_fit(X, p, w, fold_of_group):
    Xd, yd, true_prob, true_w, groups = duplicate(X, p, w)
    sw = true_prob * true_w
    scores = np.zeros((int(fold_of_group.max()) + 1, len(CS)))
    for k in range(scores.shape[0]):
        te = fold_of_group[groups] == k
        tr = ~te
        for j, C in enumerate(CS):
            m = fit_l1(Xd[tr], yd[tr], sw[tr], C)
            q = m.predict_proba(Xd[te])[:, 1]
            scores[k, j] = -cont_logloss(yd[te], q, true_prob[te], true_w[te])
    best = int(scores.sum(axis=0).argmax())
    model = fit_l1(Xd, yd, sw, CS[best])
    return model, scores, best


def sklearn_group_folds(n_groups):
    groups = np.concatenate([np.arange(n_groups), np.arange(n_groups)])
    fold = np.zeros(n_groups, dtype=int)
    for k, (_, te) in enumerate(GroupKFold(5).split(np.zeros((2 * n_groups, 1)), groups=groups)):
        fold[groups[te]] = k
    return fold


def glm_case(name, rng, n, with_difficulty, n_gamed_each=0, nan_idx=(), draw_idx=()):
    len_1 = rng.integers(200, 2000, size=n)  # baseline output lengths (chars)
    len_2 = rng.integers(100, 3000, size=n)  # model output lengths
    difficulty = rng.normal(0.0, 1.0, size=n)
    delta = (len_1 - len_2).astype(float)
    std = delta.std(ddof=1)
    std_delta = delta / std
    # The judge likes longer outputs and finds hard instructions hard: a soft preference in [1, 2].
    logit = 0.3 - 0.9 * np.tanh(std_delta) - (0.6 * difficulty if with_difficulty else 0.0)
    pref = 1 + logistic(logit + rng.normal(0, 0.8, size=n))
    pref[list(draw_idx)] = 0.0  # alpaca_eval's legacy draw encoding
    pref[list(nan_idx)] = np.nan
    y = np.where(pref == 0, 1.5, pref) - 1

    cols = ['np.tanh(std_delta_len)'] + (['instruction_difficulty'] if with_difficulty else []) + [
        'not_gamed_baseline.astype(float)']

    def design(sd, diff, not_gamed):
        parts = [np.tanh(sd)] + ([diff] if with_difficulty else []) + [not_gamed]
        return np.column_stack(parts)

    X_model = design(std_delta, difficulty, np.ones(n))
    keep = ~np.isnan(y)
    X_tr, y_tr, w_tr = X_model[keep], y[keep], np.ones(int(keep.sum()))
    gamed = []
    if n_gamed_each:
        for _ in range(2):
            idx = rng.integers(0, n, size=n_gamed_each)
            g_sd = rng.normal(0, 1.2, size=n_gamed_each)
            g_y = logistic(-0.9 * np.tanh(g_sd) - 0.4 * difficulty[idx] + rng.normal(0, 0.5, size=n_gamed_each))
            for i, s, yy in zip(idx, g_sd, g_y):
                gamed.append(dict(instruction_difficulty=float(difficulty[i]), std_delta_len=float(s),
                                  preference=float(yy)))
        G = np.array([[g['std_delta_len'], g['instruction_difficulty'], g['preference']] for g in gamed])
        X_g = design(G[:, 0], G[:, 1], np.zeros(len(G)))
        # alpaca_eval puts df_gamed first, then the model's rows; weight lambda/2 for gamed rows.
        X_tr = np.vstack([X_g, X_tr])
        y_tr = np.concatenate([G[:, 2], y_tr])
        w_tr = np.concatenate([np.full(len(G), 0.2 / 2), w_tr])

    n_groups = X_tr.shape[0]
    X_test = design(np.zeros(n), difficulty, np.ones(n))
    out = dict(name=name, with_difficulty=with_difficulty, len_1=len_1.tolist(), len_2=len_2.tolist(),
               instruction_difficulty=difficulty.tolist(), preference=[None if math.isnan(v) else v for v in pref],
               gamed=gamed, columns=cols, std_delta_len=std_delta.tolist(), Cs=CS)
    for tag, folds in (('poet_folds', poet_folds(n_groups)), ('sklearn_groupkfold', sklearn_group_folds(n_groups))):
        model, scores, best = cv_fit(X_tr, y_tr, w_tr, folds)
        lc = float(model.predict_proba(X_test)[:, 1].mean() * 100)
        out[tag] = dict(cv_scores=scores.tolist(), best_index=best, coef=model.coef_[0].tolist(), lc=lc)
    # Plain fits at fixed C (solver check, no CV).
    Xd, yd, tp, tw, _ = duplicate(X_tr, y_tr, w_tr)
    out['fixed_C'] = [dict(C=C, coef=fit_l1(Xd, yd, tp * tw, C).coef_[0].tolist()) for C in (0.01, 1.0, 100.0)]
    return out


def winrate_case(prefs):
    p = np.array([np.nan if v is None else v for v in prefs], dtype=float)
    n_draws = int(np.sum((p == 1.5) | (p == 0)))

    def describe(q):
        q = np.where(q == 0, 1.5, q)
        ok = (q >= 1) & (q <= 2)
        q = q[ok] - 1
        return dict(win_rate=float(q.mean() * 100), standard_error=float(scipy.stats.sem(q) * 100),
                    n_wins=int((q > 0.5).sum()), n_wins_base=int((q < 0.5).sum()), n_total=int(len(q)))

    out = describe(p.copy())
    out['n_draws'] = n_draws
    # ZeroOne rule: exact 1.5 -> 0 (draw), then round half to even, then 0 -> 1.5.
    d = np.where(p == 1.5, 0, p)
    d = np.round(d)
    out['discrete_win_rate'] = describe(d)['win_rate']
    return dict(preferences=prefs, expected=out)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    glm = dict(generator=f'sklearn {sklearn.__version__} liblinear (tol=1e-10), numpy {np.__version__}', cases=[
        glm_case('difficulty', rng, 80, True, nan_idx=(3, 40), draw_idx=(7,)),
        glm_case('nodiff', rng, 50, False, nan_idx=(11,)),
        glm_case('difficulty_gamed', rng, 60, True, n_gamed_each=60),
    ])
    with open(os.path.join(OUT, 'glm.json'), 'w') as f:
        json.dump(glm, f, indent=1)

    wr_rng = np.random.default_rng(7)
    cases = [
        [1.0, 2.0, 2.0, 1.5, 1.0],
        [1.2, 1.7, None, 1.5, 0.0, 1.9, 1.5000001, 1.4999999, 2.0, 1.0],
        [float(v) for v in 1 + wr_rng.random(37)],
    ]
    with open(os.path.join(OUT, 'winrate.json'), 'w') as f:
        json.dump(dict(generator=f'scipy {scipy.__version__}', cases=[winrate_case(c) for c in cases]), f, indent=1)

    r = random.Random(1234)
    draws = []
    for n, k in ((10, 3), (10, 10), (300, 25), (1119, 25), (1119, 26), (40, 5), (7473, 5), (40000, 10)):
        draws.append(dict(n=n, k=k, sample=r.sample(range(n), k)))
    with open(os.path.join(OUT, 'python_random.json'), 'w') as f:
        json.dump(dict(seed=1234, note='one random.Random(1234) drawing these in order', draws=draws), f, indent=1)


if __name__ == '__main__':
    main()
