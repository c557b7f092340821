"""Command-line mistakes click lets through, each turned into one error line.

click keeps the last value of an option given twice (``-e A -e B`` runs against B)
and accepts flags that contradict each other. Both are almost always a slip of a
pasted or edited command line, so benchlab refuses them rather than guess.
"""

from __future__ import annotations

import click

from benchlab.errors import BenchlabError


def refuse_repeated_options(command: click.Command) -> None:
    """Make ``command`` and every sub-command under it refuse a single-valued option (or a
    flag) given twice. Options declared repeatable (``multiple``, counters) stay repeatable."""
    parse = command.parse_args

    def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        _check_repeats(command, ctx, args)
        return parse(ctx, args)

    # An instance attribute, so commands added by plugins are covered without a class of ours.
    command.parse_args = parse_args  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():
        refuse_repeated_options(sub)


def _check_repeats(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    try:
        # A dry parse: the parser consumes its list, and reports every occurrence in order.
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError:
        return  # the real parse reports it, in click's words
    seen: set[str | None] = set()
    for param in order:
        if not isinstance(param, click.Option) or param.multiple or param.count or param.is_eager:
            continue
        if param.name in seen:
            raise BenchlabError(repeat_message(param))
        seen.add(param.name)


def repeat_message(param: click.Option) -> str:
    names = "/".join([*param.opts, *param.secondary_opts])
    if param.secondary_opts:  # an on/off pair: --x/--no-x
        return f"{names} given more than once; give one of them, once"
    if param.is_flag:
        return f"{names} given more than once; give it once"
    return f"{names} given more than once; it takes one value"


def one_of(flags: dict[str, bool], *, default: str | None = None) -> list[str]:
    """The one flag set among mutually exclusive ones (``[]`` when none is); two or more is an error."""
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        listing = _and([f"--{name}" for name in flags])
        given = "" if len(chosen) == len(flags) else " and ".join(f"--{name}" for name in chosen) + " given together: "
        default_note = f" (without any: --{default})" if default else ""
        raise BenchlabError(f"{given}{listing} exclude each other; give one{default_note}")
    return chosen


def _and(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
