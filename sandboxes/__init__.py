"""Sandbox providers (docker, bubblewrap) and the root filesystem they run on.

Model-written code never runs on the host unconfined. A verifier or driver gets a
provider (``ctx.sandbox``) and does::

    from benchlab.sandbox import ExecRequest, Limits, MiB
    from benchlab.sandbox_programs import program_command

    limits = Limits(wall_seconds=10, memory_bytes=512 * MiB)
    result = await sandbox.run(ExecRequest(
        program_command("python", "main.py", limits=limits),
        files={"main.py": code, "test_input.txt": data},
        stdin="...", toolchains={"python"}, limits=limits,
    ))
    if result.sandbox_failure:      # the sandbox failed: not the model's fault
        FailureMode(result.sandbox_failure.value)
    elif result.timed_out: ...      # the program hit its wall limit
    else: result.exit_code, result.stdout, result.files["out.txt"]

Modules: ``api`` (requests, limits, results, the ``Sandbox`` base class),
``docker_provider`` and ``bwrap_provider`` (the two providers; docker keeps warm
containers: ``docker_pool``, the runner inside them ``pool_runner``, and
``container_cgroup``, what the host reads of them), ``selection``
(``choose_sandbox``: the one asked for or the best that can run, and why not the
others), ``toolchains`` (languages and how to build and run each), ``rootfs`` and
``docker_image`` (the debootstrap root filesystem, cached and imported),
``cgroups``, ``workdir``, ``capture``, ``launch`` (shared pieces), ``commands``
and ``plugin`` (``benchlab sandbox doctor|build|exec`` and registration).
"""
