"""Generators under ``@instrument``: the span is current only while the generator runs.

A plain ``with scope(): yield from gen`` leaves the span (and its task) current in the
caller while the generator is paused, so the caller's own calls would become its
children. Here the generator runs each step in a private ``contextvars.Context`` (a copy
of the caller's at the first step): its span, task and any scope it opens live there,
and the caller's context is never touched.
"""

from __future__ import annotations

import contextvars
from typing import Any, AsyncGenerator, Awaitable, Callable, Generator


def generator_wrapper(func: Callable[..., Generator[Any, Any, Any]],
                      make_scope: Callable[[], Any]) -> Callable[..., Generator[Any, Any, Any]]:
    def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        ctx = contextvars.copy_context()
        gen = ctx.run(func, *args, **kwargs)
        scope = ctx.run(make_scope)
        ctx.run(scope.__enter__)
        value: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                item = ctx.run(gen.send, value) if thrown is None else ctx.run(gen.throw, thrown)
            except StopIteration as stop:
                ctx.run(scope.__exit__, None, None, None)
                return stop.value
            except BaseException as exc:
                ctx.run(scope.__exit__, type(exc), exc, exc.__traceback__)
                raise
            thrown = None
            try:
                value = yield item
            except GeneratorExit:
                try:
                    ctx.run(gen.close)
                finally:
                    ctx.run(scope.__exit__, None, None, None)
                raise
            except BaseException as exc:  # thrown in by the caller: the generator gets it
                thrown, value = exc, None
    return gen_wrapper


class _Forward:
    """Hands one object a coroutine yielded (a future, None, ...) to the event loop."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield self.item)


async def _run_in(ctx: contextvars.Context, awaitable: Awaitable[Any]) -> Any:
    """Await ``awaitable`` with every step of it run inside ``ctx``."""
    steps = awaitable.__await__()
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            item = ctx.run(steps.send, value) if thrown is None else ctx.run(steps.throw, thrown)
        except StopIteration as stop:
            return stop.value
        thrown = None
        try:
            value = await _Forward(item)
        except BaseException as exc:  # cancellation and the like go to the awaited code
            thrown, value = exc, None


def async_generator_wrapper(func: Callable[..., AsyncGenerator[Any, Any]],
                            make_scope: Callable[[], Any]) -> Callable[..., AsyncGenerator[Any, Any]]:
    async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        ctx = contextvars.copy_context()
        agen = ctx.run(func, *args, **kwargs)
        scope = ctx.run(make_scope)
        ctx.run(scope.__enter__)
        value: Any = None
        thrown: BaseException | None = None
        while True:
            try:
                step = agen.asend(value) if thrown is None else agen.athrow(thrown)
                item = await _run_in(ctx, step)
            except StopAsyncIteration:
                ctx.run(scope.__exit__, None, None, None)
                return
            except BaseException as exc:
                ctx.run(scope.__exit__, type(exc), exc, exc.__traceback__)
                raise
            thrown = None
            try:
                value = yield item
            except GeneratorExit:
                try:
                    await _run_in(ctx, agen.aclose())
                finally:
                    ctx.run(scope.__exit__, None, None, None)
                raise
            except BaseException as exc:
                thrown, value = exc, None
    return agen_wrapper
