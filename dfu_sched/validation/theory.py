"""Closed forms from queueing theory that the simulator is validated against.

All rates are per hour and times in hours, as in the model. Each function is the textbook
formula with its name, so a reader can check it against any queueing text:
- Erlang C (M/M/c): probability of waiting and mean wait in queue;
- Pollaczek-Khinchine (M/G/1): mean wait from the service time's second moment;
- Cobham (1954): non-preemptive priority, per class, for M/G/1 and for M/M/c with one
  exponential service rate shared by all classes;
- preemptive-resume priority (M/G/1), per class.
"""
from __future__ import annotations

import math
from collections.abc import Sequence


def erlang_c(servers: int, offered_load: float) -> float:
    """P(wait > 0) in M/M/c with offered load a = lambda/mu (Erlang C), computed stably."""
    c, a = servers, offered_load
    if a >= c:
        return 1.0
    # Erlang B by its recursion, then C from B: avoids factorials overflowing.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho + rho * b)


def mmc_wq(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def mg1_wq(arrival_rate: float, mean_service: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue of M/G/1: lambda E[S^2] / (2 (1 - rho))."""
    rho = arrival_rate * mean_service
    if rho >= 1:
        return math.inf
    return arrival_rate * second_moment / (2.0 * (1.0 - rho))


def cobham_mg1(arrival_rates: Sequence[float], mean_services: Sequence[float],
               second_moments: Sequence[float]) -> list[float]:
    """Non-preemptive priority M/G/1 (class 0 most urgent): W_k = W0 / ((1 - s_{k-1})(1 - s_k))."""
    w0 = sum(l * m2 for l, m2 in zip(arrival_rates, second_moments)) / 2.0
    out, sigma_prev = [], 0.0
    for lam, es in zip(arrival_rates, mean_services):
        sigma = sigma_prev + lam * es
        out.append(math.inf if sigma >= 1 else w0 / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return out


def cobham_mmc(arrival_rates: Sequence[float], service_rate: float, servers: int) -> list[float]:
    """Non-preemptive priority M/M/c, one service rate: W_k = C(c,a)/(c mu) / ((1 - s_{k-1})(1 - s_k)).

    Here s_k is the load of classes 0..k over the whole system, sum(lambda_i) / (c mu).
    """
    lam = sum(arrival_rates)
    a = lam / service_rate
    base = erlang_c(servers, a) / (servers * service_rate)
    out, sigma_prev = [], 0.0
    for rate in arrival_rates:
        sigma = sigma_prev + rate / (servers * service_rate)
        out.append(math.inf if sigma >= 1 else base / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return out


def preemptive_resume_mg1_wait_to_start(arrival_rates: Sequence[float], mean_services: Sequence[float],
                                        second_moments: Sequence[float]) -> list[float]:
    """Preemptive-resume priority M/G/1: mean time from arrival to *first* service start, per class.

    A class-k job starts once the work of classes 0..k present at its arrival, plus class 0..k-1
    work arriving meanwhile, is done: W_k = (sum_{i<=k} lambda_i E[S_i^2] / 2) / ((1 - s_{k-1})(1 - s_k)).
    (The classic formula for time in system adds E[S_k]/(1 - s_{k-1}); first start needs only
    this delay-cycle term, which is the same as Cobham restricted to classes 0..k.)
    """
    out, sigma_prev, r = [], 0.0, 0.0
    for lam, es, m2 in zip(arrival_rates, mean_services, second_moments):
        r += lam * m2 / 2.0
        sigma = sigma_prev + lam * es
        out.append(math.inf if sigma >= 1 else r / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return out
