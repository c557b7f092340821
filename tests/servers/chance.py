"""An OpenAI-compatible model whose answers are right with set probabilities (seeded).

Each prompt ``Say WORD`` is answered ``WORD`` with its probability, else ``wrong``: a
stand-in for a real model's noise, to test the regression gate end to end. The seed makes a
run's answers reproducible; a new ``ChanceScript`` (or a reseed) gives fresh draws.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from servers.base import Answer, Script


class ChanceScript(Script):
    def __init__(self, probabilities: dict[str, float], seed: int) -> None:
        super().__init__({})
        self.probabilities = probabilities
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def answer(self, messages: list[dict[str, Any]]) -> Answer:
        prompt = str(messages[-1].get("content", "")).strip()
        word = prompt.removeprefix("Say ")
        with self.lock:
            right = self.random.random() < self.probabilities.get(word, 0.0)
        return Answer(word if right else "wrong")
