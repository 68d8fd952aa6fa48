"""The event's clock: not started, running, paused, ended; event time, time left, freeze.

Event time (``elapsed``) runs only while the clock runs: a pause stops it. The event
ends when the trainer ends it or when its time is up. The public scoreboard freezes
at a moment of event time: when the trainer says so, or ``freeze_minutes`` before
the end; changes after it are hidden from the public board (teams still see their
own results) until the trainer unfreezes it.

>>> c = Clock(duration=3600).act("start", now=1000.0)
>>> c.status(1600.0), c.elapsed(1600.0), c.time_left(1600.0)
('running', 600.0, 3000.0)
>>> c.act("pause", 1600.0).elapsed(2000.0)
600.0
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from helpers.errors import UsageError

NOT_STARTED, RUNNING, PAUSED, ENDED = "not_started", "running", "paused", "ended"
ACTIONS = ("start", "pause", "resume", "end", "freeze", "unfreeze", "extend")


@dataclass(frozen=True)
class Clock:
    """The clock's state; times are Unix seconds, durations seconds."""

    duration: float
    state: str = NOT_STARTED
    started: float | None = None
    paused_at: float | None = None
    paused_total: float = 0.0
    ended: float | None = None
    freeze_minutes: float = 0.0
    frozen_at: float | None = None  # event time of the trainer's freeze

    def elapsed(self, now: float) -> float:
        """Event time in seconds: wall time since the start, less the pauses, at most the
        duration."""
        if self.started is None:
            return 0.0
        until = now
        if self.state == PAUSED and self.paused_at is not None:
            until = self.paused_at
        elif self.state == ENDED and self.ended is not None:
            until = self.ended
        return max(0.0, min(self.duration, until - self.started - self.paused_total))

    def time_left(self, now: float) -> float:
        return max(0.0, self.duration - self.elapsed(now))

    def status(self, now: float) -> str:
        """``not_started``, ``running``, ``paused`` or ``ended`` (also when time is up)."""
        if self.state in (RUNNING, PAUSED) and self.time_left(now) <= 0:
            return ENDED
        return self.state

    def freeze_point(self, now: float) -> float | None:
        """The event time after which the public board shows nothing new, or None."""
        points = []
        if self.frozen_at is not None:
            points.append(self.frozen_at)
        if self.freeze_minutes:
            automatic = self.duration - self.freeze_minutes * 60
            if self.started is not None and self.elapsed(now) >= automatic:
                points.append(automatic)
        return min(points) if points else None

    def act(self, action: str, now: float, minutes: float = 0) -> Clock:
        """The clock after a trainer's ``action`` (see :data:`ACTIONS`)."""
        status = self.status(now)
        if action == "start":
            if status != NOT_STARTED:
                raise UsageError(f"the clock has started already ({status})")
            return replace(self, state=RUNNING, started=now)
        if action == "pause":
            if status != RUNNING:
                raise UsageError(f"only a running clock can pause (it is {status})")
            return replace(self, state=PAUSED, paused_at=now)
        if action == "resume":
            if status != PAUSED:
                raise UsageError(f"only a paused clock can resume (it is {status})")
            assert self.paused_at is not None
            return replace(
                self,
                state=RUNNING,
                paused_total=self.paused_total + (now - self.paused_at),
                paused_at=None,
            )
        if action == "end":
            if self.state == ENDED:
                raise UsageError("the event has ended already")
            if status == NOT_STARTED:
                raise UsageError("the event has not started")
            elapsed = self.elapsed(now)
            assert self.started is not None
            return replace(
                self,
                state=ENDED,
                ended=self.started + self.paused_total + elapsed,
                paused_at=None,
            )
        if action == "freeze":
            if status == NOT_STARTED:
                raise UsageError("the event has not started: nothing to freeze")
            return replace(self, frozen_at=self.elapsed(now))
        if action == "unfreeze":
            return replace(self, frozen_at=None, freeze_minutes=0.0)
        if action == "extend":
            if not 0 < minutes <= 24 * 60:
                raise UsageError(f"extend by 1 to 1440 minutes, not {minutes}")
            if status == ENDED:
                raise UsageError("the event has ended: it cannot be extended")
            return replace(self, duration=self.duration + minutes * 60)
        raise UsageError(f"unknown clock action {action!r}: one of {', '.join(ACTIONS)}")

    def to_public(self, now: float) -> dict[str, object]:
        """What the scoreboard shows: status, event time, time left, frozen."""
        return {
            "status": self.status(now),
            "elapsed": round(self.elapsed(now), 1),
            "time_left": round(self.time_left(now), 1),
            "duration": self.duration,
            "frozen": self.freeze_point(now) is not None,
        }
