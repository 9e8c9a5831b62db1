"""The task store: bounded by count and age, never evicting a task someone may still need."""

from __future__ import annotations

from inpaintkit.mockserver.tasks import Task, TaskStore


def task(
    task_id: str,
    created: float,
    finish: float | None,
    *,
    ttl: float | None = 60.0,
    provider: str = "p",
    owner: str = "o",
    files: bool = True,
) -> Task:
    t = Task(task_id, provider, owner, created, created, finish)
    t.file_keys = ["f"] if files else []
    t.results_ttl = ttl
    return t


def test_pending_tasks_are_never_evicted_by_a_burst() -> None:
    store = TaskStore(max_tasks=3, max_age=10_000)
    store.add(task("slow", 0, 500))  # another provider's task, still being polled
    for i in range(10):
        store.add(task(f"burst{i}", 1 + i, 2 + i, ttl=0, provider="q"))
    assert store.get("slow") is not None
    assert len(store) == 3  # the finished, expired burst tasks made room


def test_live_results_are_protected_until_their_links_expire() -> None:
    store = TaskStore(max_tasks=1, max_age=10_000)
    store.add(task("a", 0, 1, ttl=100))
    store.add(task("b", 50, 51, ttl=100))
    assert store.get("a") is not None  # links live until 101: kept, the store grows
    store.add(task("c", 102, 103, ttl=100))
    assert store.get("a") is None
    assert store.get("b") is not None  # still live until 151


def test_outputs_that_never_expire_and_stuck_tasks_stay() -> None:
    store = TaskStore(max_tasks=1, max_age=10_000)
    store.add(task("forever", 0, 1, ttl=None))
    store.add(task("stuck", 0, None))
    store.add(task("no-files", 0, 1, files=False))
    store.add(task("late", 5, 6, files=False))
    assert store.get("forever") is not None
    assert store.get("stuck") is not None
    assert store.get("no-files") is None


def test_age_limit_drops_old_tasks() -> None:
    store = TaskStore(max_tasks=100, max_age=10)
    store.add(task("old", 0, 1))
    store.add(task("new", 20, 21))
    assert store.get("old") is None
    assert store.get("new") is not None


def test_unfinished_counts_follow_the_clock_and_polls() -> None:
    store = TaskStore(max_tasks=100, max_age=10_000)
    store.add(task("a", 0, 10, provider="x", owner="k1"))
    store.add(task("b", 0, 20, provider="x", owner="k2"))
    store.add(task("c", 0, None, provider="y", owner="k1"))
    assert store.unfinished(0) == 3
    assert store.unfinished(0, provider="x") == 2
    assert store.unfinished(0, provider="x", owner="k1") == 1
    assert store.unfinished(10, provider="x") == 1
    b = store.get("b")
    assert b is not None
    b.finish_after_polls = 1
    assert store.poll(b, 12)
    assert store.unfinished(12, provider="x") == 0
    assert store.unfinished(10_000) == 1  # the stuck one
    assert [t.id for t in store.pending(10_000)] == ["c"]
