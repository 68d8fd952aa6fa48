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

from helpers.notebook import *  # noqa: F403
from helpers.notebook import __all__ as _notebook_all
from helpers.widgets import answer_box

__all__ = [*_notebook_all, "answer_box"]
