import asyncio
import threading

import pytest

from audit.storage.writer import GroupWriter


def run_on_a_new_loop(main):
    """asyncio.run(main()) on a thread of its own: the browser tests leave this thread's loop running."""
    outcome = {}

    def target():
        try:
            outcome["result"] = asyncio.run(main())
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_waiters_on_an_event_loop_get_their_results_only_after_the_batch_is_applied():
    applied: list[list[int]] = []
    release = threading.Event()

    def apply(jobs):
        release.wait(5)
        applied.append(list(jobs))
        return [job * 10 for job in jobs]

    writer = GroupWriter(apply)

    async def main():
        tasks = [asyncio.create_task(writer.run(n)) for n in range(5)]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in tasks)  # nothing answered before the commit
        release.set()
        return await asyncio.gather(*tasks)

    try:
        assert run_on_a_new_loop(main) == [0, 10, 20, 30, 40]
    finally:
        writer.close()
    assert sorted(job for batch in applied for job in batch) == [0, 1, 2, 3, 4]


def test_a_failed_batch_reaches_every_waiter_and_the_writer_goes_on():
    def apply(jobs):
        if "bad" in jobs:
            raise RuntimeError("disk full")
        return list(jobs)

    writer = GroupWriter(apply)

    async def main():
        with pytest.raises(RuntimeError, match="disk full"):
            await writer.run("bad")
        return await writer.run("good")

    try:
        assert run_on_a_new_loop(main) == "good"
        assert writer.submit("blocking").result(timeout=5) == "blocking"
    finally:
        writer.close()


def test_a_waiter_that_gives_up_does_not_stop_the_writer():
    release = threading.Event()

    def apply(jobs):
        release.wait(5)
        return list(jobs)

    writer = GroupWriter(apply)

    async def main():
        task = asyncio.create_task(writer.run("gone"))
        await asyncio.sleep(0.05)
        task.cancel()  # the client went away while its audit was being written
        release.set()
        return await writer.run("next")

    try:
        assert run_on_a_new_loop(main) == "next"
    finally:
        writer.close()
