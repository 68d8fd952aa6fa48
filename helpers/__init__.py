"""GameDay Kit: investigate a simulated AWS security incident from its logs.

In a notebook::

    import helpers as gd
    gd.open_dataset()                       # datasets/leaked-key, or a folder you name
    gd.sql("SELECT event_name, count(*) FROM cloudtrail GROUP BY 1 ORDER BY 2 DESC")
    gd.question("leaked-key.q01")           # the question, its answer format, its points
    gd.check("leaked-key.q01", "203.0.113.7")   # one line: right, or what to look at
    gd.hint("leaked-key.q01")               # the next hint, at a cost
    gd.answer_box("leaked-key.q01")         # the same with a text box and buttons
    gd.progress()                           # solved, attempts, hints, points
    gd.timeline(df)                         # the attack over time (Altair, offline)

Tables: ``cloudtrail``, ``vpc_flow``, ``guardduty`` (and the view
``guardduty_latest``); ``gameday describe`` prints every column. All times are UTC.
"""

# The notebook API loads on first use (PEP 562): the `gameday` command imports this
# package too, and should not wait seconds for pandas and Altair to print one line.
_NOTEBOOK_API = (
    "Card",
    "CheckResult",
    "QueryError",
    "Session",
    "attack_timeline",
    "check",
    "hint",
    "open_dataset",
    "progress",
    "question",
    "session",
    "sql",
    "timeline",
)
__all__ = [*_NOTEBOOK_API, "answer_box"]


def __getattr__(name: str):
    if name in _NOTEBOOK_API:
        from helpers import notebook

        return getattr(notebook, name)
    if name == "answer_box":
        from helpers.widgets import answer_box

        return answer_box
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
