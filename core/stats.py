"""Paired statistics with the scenario as the unit: tests, intervals, Holm, p-value format.

Pure functions on plain inputs (counts, per-scenario pass rates), standard library only, so
diff, compare and the regression gate share one tested implementation. The formulas, their
assumptions and worked examples are in docs/statistics.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction
from statistics import NormalDist

import attrs

from benchlab.errors import BenchlabError

# Above this many distinct partial sums the sign-flip distribution is sampled, not enumerated.
# Pass rates over a few repeats sit on a coarse grid (multiples of 1/repeats), so realistic
# inputs stay far below it; 2**15 sign patterns always fit.
EXACT_STATE_LIMIT = 50_000
# Monte Carlo draws when enumeration is too big: the p-value's standard error is at most
# 0.5/sqrt(20000) = 0.0035, and about 0.0015 near p = 0.05.
MONTE_CARLO_DRAWS = 20_000
MONTE_CARLO_SEED = 20_240_601


class StatisticsError(BenchlabError, ValueError):
    """An input a statistic cannot take (k > n, a rate outside 0..1, no scenarios).

    A BenchlabError, so a command that passes user input straight through prints one line.
    """


@attrs.frozen
class Interval:
    """An estimate with a two-sided confidence interval (95% unless stated)."""

    estimate: float
    low: float
    high: float
    method: str


def z_quantile(q: float) -> float:
    """The standard normal quantile (z_quantile(0.975) = 1.959964)."""
    return NormalDist().inv_cdf(q)


def format_p(p: float) -> str:
    """Every printed p-value: ``p = 0.004`` (three decimals) or ``p < 0.001``."""
    _require_probability(p, "p-value")
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input's order.

    Sorted ascending, the i-th smallest (i from 0) becomes max over j <= i of
    min(1, (m - j) * p_(j)): comparing the adjusted value with alpha is Holm's procedure, which
    keeps the chance of any false alarm among the m tests at most alpha whatever their
    dependence.
    """
    for p in pvalues:
        _require_probability(p, "p-value")
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs.

    Under no difference each discordant pair goes either way with probability 1/2, so
    X = min(b, c) is Binomial(b + c, 1/2) at its lower tail. Two-sided means the smaller tail
    doubled and capped at 1: min(1, 2 * P(X <= min(b, c))). No discordant pair gives 1.
    Computed in exact integer arithmetic.
    """
    for name, value in (("b", b), ("c", c)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise StatisticsError(f"McNemar's {name} must be a count (a whole number >= 0), not {value!r}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, float(Fraction(2 * tail, 2**n)))


def paired_permutation(
    differences: Sequence[float | Fraction],
    *,
    draws: int = MONTE_CARLO_DRAWS,
    seed: int = MONTE_CARLO_SEED,
) -> float:
    """Two-sided paired sign-flip permutation p-value for per-scenario differences.

    Each element is one scenario's difference of pass rates (e.g. 2/3 - 1). Under no
    difference each scenario's sign is a fair coin, so the p-value is the share of the 2**n
    sign patterns whose |sum| is at least the observed |sum| (the observed pattern counts, so
    p is in (0, 1]). Zero differences change no sum. The distribution of sums is enumerated
    exactly (by counting, not by listing patterns) while it has at most EXACT_STATE_LIMIT
    distinct sums; otherwise ``draws`` seeded random patterns give (1 + hits) / (1 + draws),
    the same answer on every call.
    """
    magnitudes = _grid_magnitudes(differences)
    if not magnitudes:
        return 1.0
    observed = abs(sum(sign * m for sign, m in magnitudes))
    sizes = [m for _, m in magnitudes]
    counts = _sign_flip_counts(sizes)
    if counts is not None:
        extreme = sum(n for total, n in counts.items() if abs(total) >= observed)
        return float(Fraction(extreme, 2 ** len(sizes)))
    return _sign_flip_monte_carlo(sizes, observed, draws, seed)


def _grid_magnitudes(differences: Sequence[float | Fraction]) -> list[tuple[int, int]]:
    """Non-zero differences as (sign, integer magnitude) on one common grid.

    Pass rates are ratios of small integers; snapping each value to the nearest fraction with a
    denominator up to 10**6 recovers them exactly, so ties compare exactly too.
    """
    fractions = []
    for value in differences:
        if isinstance(value, float) and not math.isfinite(value):
            raise StatisticsError(f"a paired difference must be a finite number, not {value!r}")
        if not -1 <= value <= 1:
            raise StatisticsError(f"a difference of pass rates lies in -1..1, not {value!r}")
        fraction = Fraction(value).limit_denominator(10**6)
        if fraction:
            fractions.append(fraction)
    denominator = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    return [(1 if f > 0 else -1, int(abs(f) * denominator)) for f in fractions]


def _sign_flip_counts(sizes: list[int]) -> dict[int, int] | None:
    """How many sign patterns give each sum, or None past EXACT_STATE_LIMIT distinct sums."""
    counts = {0: 1}
    for size in sizes:
        following: dict[int, int] = {}
        for total, n in counts.items():
            following[total + size] = following.get(total + size, 0) + n
            following[total - size] = following.get(total - size, 0) + n
        if len(following) > EXACT_STATE_LIMIT:
            return None
        counts = following
    return counts


def _sign_flip_monte_carlo(sizes: list[int], observed: int, draws: int, seed: int) -> float:
    if draws < 1:
        raise StatisticsError(f"Monte Carlo draws must be at least 1, not {draws}")
    rng = random.Random(seed)
    whole = sum(sizes)
    hits = 0
    for _ in range(draws):
        bits = rng.getrandbits(len(sizes))
        # a 0 bit flips that scenario's sign: the sum loses twice its magnitude
        flipped = sum(size for i, size in enumerate(sizes) if not (bits >> i) & 1)
        if abs(whole - 2 * flipped) >= observed:
            hits += 1
    return (1 + hits) / (1 + draws)


def wilson_interval(successes: float, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion successes/n (successes may be fractional).

    centre = (x + z^2/2) / (n + z^2), half-width = z / (n + z^2) * sqrt(x (n - x) / n + z^2/4).
    It stays inside 0..1 and keeps a width at 0/n and n/n, where the Wald interval collapses.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise StatisticsError(f"an interval needs at least one observation, not n = {n!r}")
    if not 0 <= successes <= n:
        raise StatisticsError(f"successes must lie in 0..{n}, not {successes!r}")
    z = z_quantile(0.5 + confidence / 2)
    centre = (successes + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(successes * (n - successes) / n + z * z / 4)
    return Interval(successes / n, max(0.0, centre - half), min(1.0, centre + half), "Wilson score")


def paired_difference_interval(
    a: Sequence[float | bool], b: Sequence[float | bool], *, confidence: float = 0.95
) -> Interval:
    """Newcombe's hybrid score interval (his method 10) for mean(b) - mean(a), paired by scenario.

    ``a[i]`` and ``b[i]`` are scenario i's pass rates (or booleans) on the two sides. With 0/1
    values this is exactly Newcombe (1998) method 10: Wilson intervals (l1, u1) for
    p1 = mean(a) and (l2, u2) for p2 = mean(b), then with D = p2 - p1
        low  = D - sqrt((p2 - l2)^2 - 2 phi (p2 - l2)(u1 - p1) + (u1 - p1)^2)
        high = D + sqrt((u2 - p2)^2 - 2 phi (u2 - p2)(p1 - l1) + (p1 - l1)^2)
    where phi = C / sqrt(S1 (n - S1) S2 (n - S2)), S = sums, B = n sum(a b) - S1 S2 (ad - bc
    for a 2x2 table) and C = B - n/2 when B > n/2, B when B < 0, else 0 (his continuity
    correction); phi = 0 when the denominator is 0. Rates from repeats enter the same formula:
    the Wilson widths use p(1 - p), the largest variance a 0..1 value with mean p can have, so
    the interval is conservative there. It keeps a width with no discordant pair (15 of 15
    passing on both sides gives -0.204..0.204) and works from n = 1.
    """
    if len(a) != len(b):
        raise StatisticsError(f"paired samples need the same scenarios on both sides ({len(a)} vs {len(b)})")
    n = len(a)
    if n == 0:
        raise StatisticsError("a paired difference needs at least one scenario")
    xs = [_rate(value) for value in a]
    ys = [_rate(value) for value in b]
    sum_a, sum_b = sum(xs), sum(ys)
    p1, p2 = sum_a / n, sum_b / n
    first = wilson_interval(sum_a, n, confidence=confidence)
    second = wilson_interval(sum_b, n, confidence=confidence)
    cross = n * sum(x * y for x, y in zip(xs, ys)) - sum_a * sum_b
    corrected = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
    spread = sum_a * (n - sum_a) * sum_b * (n - sum_b)
    phi = corrected / math.sqrt(spread) if spread > 0 else 0.0
    below = (p2 - second.low) ** 2 - 2 * phi * (p2 - second.low) * (first.high - p1) + (first.high - p1) ** 2
    above = (second.high - p2) ** 2 - 2 * phi * (second.high - p2) * (p1 - first.low) + (p1 - first.low) ** 2
    difference = p2 - p1
    low = max(-1.0, difference - math.sqrt(max(0.0, below)))
    high = min(1.0, difference + math.sqrt(max(0.0, above)))
    return Interval(difference, low, high, "Newcombe hybrid score (method 10)")


def _rate(value: float | bool) -> float:
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise StatisticsError(f"a pass rate lies in 0..1, not {value!r}")
    return rate


def student_t_quantile(q: float, df: int) -> float:
    """The Student t quantile for q in (0.5, 1) and a whole number of degrees of freedom.

    Inverts the closed form of P(|T| <= t) for integer df (Abramowitz & Stegun 26.7.3 and
    26.7.4) by bisection, accurate to about 1e-10.
    """
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise StatisticsError(f"degrees of freedom must be a whole number >= 1, not {df!r}")
    if not 0.5 < q < 1:
        raise StatisticsError(f"q must lie strictly between 0.5 and 1, not {q!r}")
    target = 2 * q - 1
    low, high = 0.0, 1.0
    while _t_central_probability(high, df) < target:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if _t_central_probability(middle, df) < target:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def _t_central_probability(t: float, df: int) -> float:
    """P(|T| <= t) for T with df degrees of freedom (A&S 26.7.3 odd df, 26.7.4 even df)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for j in range(1, df // 2):
            term *= cos2 * (2 * j - 1) / (2 * j)
            total += term
        return sin * total
    if df == 1:
        return 2 * theta / math.pi
    term = math.cos(theta)
    total = term
    for j in range(1, (df - 1) // 2):
        term *= cos2 * (2 * j) / (2 * j + 1)
        total += term
    return 2 / math.pi * (theta + sin * total)


def minimum_detectable_difference(
    n_scenarios: int, *, alpha: float = 0.05, power: float = 0.8, background_discordance: float = 0.0
) -> float | None:
    """The smallest difference in pass rate the exact McNemar test finds with the given power.

    Model: each of n scenario pairs is discordant independently. A share
    ``background_discordance`` (psi0) of pairs flips with no difference, half each way; a true
    difference delta adds delta more pairs that favour the better side. So a pair favours the
    worse side with probability psi0/2 and the better side with psi0/2 + delta. The power is
    computed exactly: the sum over k discordant pairs of P(k) times the probability that the
    split of those k pairs gives mcnemar_exact <= alpha. The default psi0 = 0 (every discordant
    pair is part of the difference) is the best case, so a smaller difference goes unseen with
    probability above 1 - power whatever the noise; pass the observed noise, e.g. 2 min(b, c) / n,
    for a realistic figure. Returns the difference (0..1, to 1e-4), or None when even a
    difference of 1 - psi0 cannot reach the power with n scenarios (n <= 5 at alpha 0.05).
    """
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int) or n_scenarios < 1:
        raise StatisticsError(f"the number of scenarios must be a whole number >= 1, not {n_scenarios!r}")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise StatisticsError(f"{name} must lie strictly between 0 and 1, not {value!r}")
    if not 0 <= background_discordance < 1:
        raise StatisticsError(f"background discordance must lie in 0..1 (excluded), not {background_discordance!r}")
    reject_below = _mcnemar_critical_counts(n_scenarios, alpha)
    largest = 1.0 - background_discordance
    if _mcnemar_power(n_scenarios, background_discordance, largest, reject_below) < power:
        return None
    low, high = 0.0, largest
    while high - low > 1e-5:
        middle = (low + high) / 2
        if _mcnemar_power(n_scenarios, background_discordance, middle, reject_below) >= power:
            high = middle
        else:
            low = middle
    return math.ceil(high * 10_000) / 10_000  # rounded up: the power at the value returned is reached


def _mcnemar_critical_counts(n: int, alpha: float) -> list[int]:
    """For each number k of discordant pairs, the largest min(b, c) that gives p <= alpha (-1: none)."""
    level = Fraction(alpha)
    critical = []
    for k in range(n + 1):
        largest, tail = -1, 0
        for i in range(k // 2 + 1):
            tail += math.comb(k, i)
            # 2 * tail / 2**k <= alpha, in integers
            if 2 * tail * level.denominator > level.numerator * 2**k:
                break
            largest = i
        critical.append(largest)
    return critical


def _mcnemar_power(n: int, background: float, delta: float, critical: list[int]) -> float:
    discordance = background + delta
    if discordance <= 0:
        return 0.0
    towards_better = (background / 2 + delta) / discordance
    discordant = _binomial_pmf(n, discordance)
    power = 0.0
    for k, weight in enumerate(discordant):
        if weight < 1e-15 or critical[k] < 0:
            continue
        split = _binomial_pmf(k, towards_better)
        lowest = critical[k]
        power += weight * (sum(split[: lowest + 1]) + sum(split[k - lowest :]))
    return power


def _binomial_pmf(n: int, p: float) -> list[float]:
    if p <= 0:
        return [1.0] + [0.0] * n
    if p >= 1:
        return [0.0] * n + [1.0]
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    return [
        math.exp(base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        for i in range(n + 1)
    ]


def _require_probability(p: float, what: str) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise StatisticsError(f"a {what} lies in 0..1, not {p!r}")
