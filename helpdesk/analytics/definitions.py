"""What each figure counts, in words: shown beside the number, so nobody has to guess."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    title: str
    dates: str  # "created", "resolved", "now" or "rated": which date puts a ticket in the range
    counts: str
    excludes: str = ""
    # For a chart whose parts are dated differently: says so instead of the one phrase.
    dates_note: str = ""

    @property
    def dates_phrase(self) -> str:
        if self.dates_note:
            return f"Dates mean: {self.dates_note}"
        return {"created": "Dates mean: when the ticket was raised.",
                "resolved": "Dates mean: when the ticket was (last) resolved.",
                "now": "As it stands now, whatever the range.",
                "requested": "Dates mean: when the ticket was resolved and the rating asked for."}[self.dates]


DEFINITIONS: dict[str, Definition] = {
    "created": Definition("Tickets created", "created", "Every ticket raised in the range."),
    "resolved": Definition("Tickets resolved", "resolved",
                           "Tickets whose latest resolution falls in the range, closed ones included.",
                           "A ticket reopened and not resolved again is not counted: it is open."),
    "backlog": Definition("Open backlog", "now",
                          "Tickets not resolved or closed at the end of the range: new, open, in progress, "
                          "waiting on the customer. The change compares it with the end of the previous range; "
                          "its link lists the tickets open now.",
                          "A ticket reopened and still open counts as open since it was raised."),
    "first_response": Definition(
        "First-response time", "created",
        "From the moment a ticket was raised to the first public reply by staff, for tickets raised in the range; "
        "median and 90th percentile (nine in ten were answered at least this fast).",
        "Tickets without a reply yet, and tickets resolved without any reply, are left out; internal notes are "
        "not replies. In business hours, only time inside the business hours counts."),
    "resolution": Definition(
        "Resolution time", "resolved",
        "From the moment a ticket was raised to its latest resolution, less the time it spent waiting on the "
        "customer (as the SLA counts it); median and 90th percentile.",
        "Open tickets are left out (see the backlog). In business hours, only time inside the business hours "
        "counts."),
    "first_response_sla": Definition(
        "First-response SLA met", "created",
        "Of the tickets raised in the range whose first-response target is decided, the share answered (or "
        "resolved, when no reply was needed) by the due time. Unanswered tickets past due count as missed.",
        "Tickets still unanswered and not yet due are left out: they may still make it."),
    "resolution_sla": Definition(
        "Resolution SLA met", "resolved",
        "Of the tickets resolved in the range, the share resolved by their resolution due time (which moves "
        "back while the ticket waits on the customer).",
        "Open tickets, even overdue ones, are left out until they are resolved; the backlog by age shows them."),
    "one_touch": Definition(
        "One-touch resolutions", "resolved",
        "Of the tickets resolved in the range, the share solved with exactly one public staff reply and "
        "never reopened.", "Tickets resolved with no reply at all are not one-touch."),
    "reopen_rate": Definition(
        "Reopen rate", "created",
        "Of the tickets raised in the range and resolved at least once, the share reopened at least once.",
        "Tickets never resolved are left out."),
    "satisfaction": Definition(
        "Satisfaction", "requested",
        "Ratings (1-5) customers gave for resolutions in the range: the average, the share rated 4 or 5, and "
        "the response rate (answered requests of all requests); n is the number of answers.",
        "Requests withdrawn because the ticket was reopened before an answer are left out."),
    "volume": Definition("Created and resolved", "created",
                         "Bars: tickets raised (by the day they were raised) and resolved (by the day they were "
                         "resolved) per day, or per week for long ranges. Line: the open backlog at the end of "
                         "each day or week.",
                         dates_note="the Created bars by the day raised, the Resolved bars by the day "
                                    "resolved; the line is the backlog at each day's (or week's) end."),
    "backlog_by_age": Definition("Backlog by age", "now", "Open tickets now, by how long ago they were raised."),
    "resolution_by_priority": Definition(
        "Resolution time by priority", "resolved",
        "For tickets resolved in the range: the box spans the middle half (25th to 75th percentile) with the "
        "median inside; the whiskers reach the 10th and 90th percentile. Hours.",
        "Open tickets are left out."),
    "resolution_by_category": Definition("Median resolution by category", "resolved",
                                         "The median resolution time of the tickets resolved in the range, "
                                         "per category. Hours."),
    "per_agent": Definition(
        "Per agent", "created",
        "Assigned: raised in the range and assigned to the agent now, with the median first response. "
        "Resolved: resolved in the range and assigned to them now, with the median resolution time. SLA: "
        "targets met of both. Satisfaction: the share of answers rated 4-5 credited to them, with a 95% "
        "interval (Wilson) and n.",
        "With fewer than 10 answers the satisfaction is shown as too few to compare.",
        dates_note="Assigned by the day raised, Resolved by the day resolved, satisfaction by the "
                   "resolution it rates."),
    "arrivals": Definition("Arrivals by weekday and hour", "created",
                           "Tickets raised in the range, by local weekday and hour of the day."),
    "statuses": Definition("Status of the tickets raised", "created",
                           "The tickets raised in the range, by where they stand now."),
    "categories": Definition("Tickets by category", "created", "The tickets raised in the range, per category."),
    "satisfaction_over_time": Definition("Satisfaction over time", "requested",
                                         "Per day or week: the share of answers rated 4-5 and the number of "
                                         "answers."),
    "satisfaction_by_first_response": Definition(
        "Satisfaction by first-response time", "requested",
        "Answers for resolutions in the range, grouped by how long the ticket waited for its first reply.",
        "Tickets resolved without any reply are left out."),
    "forecast": Definition(
        "Backlog forecast", "created",
        "The open backlog now, moved each day by the range's daily arrivals less its daily resolutions, for the "
        "next 14 days; and how long clearing it takes at that pace.",
        "A straight line: it knows nothing of weekends, seasons or staffing changes.",
        dates_note="the rates come from the range (raised and resolved per day); the start is the backlog now."),
}
