"""A verifier with a bug: it raises on every answer (a fixture for the negative control)."""

from benchlab import hookimpl
from benchlab.verifiers import Verifier


class AlwaysCrashes(Verifier):
    def verify(self, params, response, ctx):
        raise RuntimeError("bug in the verifier")


@hookimpl
def register_verifiers(register):
    register("always_crashes", AlwaysCrashes, summary="raises on every answer")
