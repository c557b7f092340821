"""Per-scenario time budgets, scaled to the endpoint's measured speed.

A timeout is a safety ceiling, not a target: budgets deliberately over-estimate,
so that a slow rig or a long thinking budget is not mistaken for a hung model.

    budget = min(ceiling, max(base * max(1, reference_tps / measured_tps),
                              SLACK * token_budget * sharing / measured_tps + FIXED_S))

``base`` is the scenario's ``max_seconds`` or the pack's ``default_max_seconds``;
``token_budget`` is the request's max_tokens (thinking raises it). ``sharing`` is 1
unless the backend says its requests in flight share the measured speed
(``Backend.shares_decoding``, e.g. a server on two CPU cores): then it is the
concurrency, since each request decodes at about its share of that speed.
``--timeout-per-case`` replaces all of this with one number.
"""

from __future__ import annotations

import attrs

SLACK = 1.5
FIXED_S = 10.0
DEFAULT_REFERENCE_TPS = 30.0
DEFAULT_CEILING_S = 1800.0


@attrs.frozen
class TimeoutPolicy:
    per_case_s: float | None = None
    measured_tps: float | None = None
    reference_tps: float = DEFAULT_REFERENCE_TPS
    ceiling_s: float = DEFAULT_CEILING_S
    sharing: int = 1

    def budget(self, base_s: float, token_budget: int | None) -> float:
        if self.per_case_s is not None:
            return self.per_case_s
        tps = self.measured_tps
        if not tps or tps <= 0:
            return min(self.ceiling_s, base_s)
        scaled = base_s * max(1.0, self.reference_tps / tps)
        decode = SLACK * token_budget * max(self.sharing, 1) / tps + FIXED_S if token_budget else 0.0
        return round(min(self.ceiling_s, max(scaled, decode)), 1)
